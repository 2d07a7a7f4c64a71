// ESLint for the whole workspace: typescript-eslint's recommended rules, and the
// architecture's import boundaries as rules (react never imports bff or api-guard;
// api-guard never imports bff; no package imports the demo or the tests).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DEMO = [
  { group: ['@portcullis/demo', '@portcullis/demo/*', '**/demo/**'], message: 'Packages never import the demo.' },
  { group: ['**/test/**', '@portcullis/test', '@portcullis/test/*'], message: 'Package sources never import tests.' },
];
const BFF = [{ group: ['@portcullis/bff', '@portcullis/bff/*', '**/packages/bff/**', '**/bff/src/**'], message: 'Only the BFF package imports the BFF.' }];
const API_GUARD = [{ group: ['@portcullis/api-guard', '@portcullis/api-guard/*', '**/packages/api-guard/**', '**/api-guard/src/**'], message: 'The BFF and React packages never import api-guard.' }];
const REACT = [{ group: ['@portcullis/react', '@portcullis/react/*', '**/packages/react/**'], message: 'Server packages never import the React package.' }];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.artifacts/**', 'bench/results/**', 'demo/spa/dist/**', 'test/e2e/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
        performance: 'readonly',
        crypto: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        sessionStorage: 'readonly',
        BroadcastChannel: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests and scripts poke at internals on purpose; sources may not use `any` at all.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
      // A server's handler is declared before it listens and assigned once the port is known.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Errors are re-described on purpose without their cause: causes can carry request bodies and secrets.
      'preserve-caught-error': 'off',
    },
  },
  { files: ['packages/*/src/**/*.{ts,tsx}'], rules: { '@typescript-eslint/no-explicit-any': 'error' } },
  { files: ['packages/react/src/**'], rules: { 'no-restricted-imports': ['error', { patterns: [...DEMO, ...BFF, ...API_GUARD] }] } },
  {
    files: ['packages/api-guard/src/**', 'packages/api-guard/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [.../* tests may use their own helpers */ [], DEMO[0], ...BFF, ...REACT] }] },
  },
  { files: ['packages/bff/src/**'], rules: { 'no-restricted-imports': ['error', { patterns: [...DEMO, ...API_GUARD, ...REACT] }] } },
);
