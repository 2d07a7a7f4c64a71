import { defineConfig } from 'vitest/config';

// One config, one project per part of the architecture. Browser and
// cross-package suites get longer timeouts: they start real servers.
export default defineConfig({
  test: {
    // CI also writes a JSON report: .ci/run prints its "N passed, N failed" line.
    reporters: process.env['CI'] ? ['default', ['json', { outputFile: '.artifacts/vitest.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'bff',
          root: './packages/bff',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          // Endpoint tests start an in-process provider, API and BFF per file and walk real
          // logins through them: seconds, not milliseconds, when files share 2 busy cores.
          testTimeout: 15_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'api-guard',
          root: './packages/api-guard',
          environment: 'node',
          include: ['test/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'react',
          root: './packages/react',
          environment: 'jsdom',
          include: ['test/**/*.test.{ts,tsx}'],
          setupFiles: ['./test/setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          root: './test',
          environment: 'node',
          include: ['integration/**/*.test.ts', 'security/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          root: './test',
          environment: 'node',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // Packs the packages with npm and installs them in a fresh project outside
        // the workspace (npm registry needed): builds and an install, hence the timeouts.
        test: {
          name: 'consumer',
          root: './test',
          environment: 'node',
          include: ['consumer/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
