/**
 * Browser bundle size of @portcullis/react against the usual token-in-the-
 * browser React libraries, each built the same way: esbuild bundle, minify,
 * ESM, browser, production, react / react-dom / react/jsx-runtime external,
 * every other dependency inlined (oidc-client-ts into react-oidc-context,
 * auth0-spa-js into auth0-react), then gzip -9.
 *
 * Two entries per library: `all` re-exports the whole package (what a size
 * badge shows), `typical` imports what an app needs to sign in and call an
 * API (the provider component and the hook), so tree-shaking counts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface BundleRow {
  key: 'portcullis' | 'react-oidc-context' | 'auth0-react';
  label: string;
  version: string;
  /** Whole package (`export *`): minified and min+gzip -9 bytes. */
  all: { min: number; gzip: number };
  /** Provider + hook only. */
  typical: { min: number; gzip: number; imports: string };
}

export interface BundleResult {
  date: string;
  esbuild: string;
  goalGzipBytes: number;
  rows: BundleRow[];
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REACT_ENTRY = fileURLToPath(new URL('../packages/react/src/index.ts', import.meta.url));
const require = createRequire(import.meta.url);

function versionOf(name: string): string {
  // Read package.json next to the resolved entry (some packages do not export ./package.json).
  let dir = require.resolve(name);
  while (!dir.endsWith('/node_modules/' + name) && dir !== '/') dir = dir.slice(0, dir.lastIndexOf('/'));
  return (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version: string }).version;
}

async function size(contents: string): Promise<{ min: number; gzip: number }> {
  const result = await build({
    stdin: { contents, resolveDir: BENCH_DIR, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

export async function runBundle(log: (line: string) => void = console.log): Promise<BundleResult> {
  log('bundle: esbuild (bundle, minify, esm, react external) + gzip -9');
  const react = JSON.stringify(REACT_ENTRY);
  const specs: Array<{ key: BundleRow['key']; label: string; version: string; all: string; typical: string; imports: string }> = [
    {
      key: 'portcullis',
      label: '@portcullis/react',
      version: (JSON.parse(readFileSync(new URL('../packages/react/package.json', import.meta.url), 'utf8')) as { version: string }).version,
      all: `export * from ${react};`,
      typical: `export { AuthProvider, useAuth } from ${react};`,
      imports: 'AuthProvider, useAuth',
    },
    {
      key: 'react-oidc-context',
      label: 'react-oidc-context + oidc-client-ts',
      version: `${versionOf('react-oidc-context')} + ${versionOf('oidc-client-ts')}`,
      all: `export * from 'react-oidc-context';`,
      typical: `export { AuthProvider, useAuth } from 'react-oidc-context';`,
      imports: 'AuthProvider, useAuth',
    },
    {
      key: 'auth0-react',
      label: '@auth0/auth0-react (+ auth0-spa-js)',
      version: versionOf('@auth0/auth0-react'),
      all: `export * from '@auth0/auth0-react';`,
      typical: `export { Auth0Provider, useAuth0 } from '@auth0/auth0-react';`,
      imports: 'Auth0Provider, useAuth0',
    },
  ];
  const rows: BundleRow[] = [];
  for (const spec of specs) {
    rows.push({ key: spec.key, label: spec.label, version: spec.version, all: await size(spec.all), typical: { ...(await size(spec.typical)), imports: spec.imports } });
  }
  const { version } = (await import('esbuild')) as { version: string };
  return { date: new Date().toISOString(), esbuild: version, goalGzipBytes: 2048, rows };
}
