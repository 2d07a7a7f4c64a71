/**
 * Vite config of the demo SPA. `pnpm --filter @portcullis/demo build:spa`
 * (`vite build spa`) writes demo/spa/dist, which the demo BFF serves with its
 * CSP: the build must contain no inline script or style.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // The CSP allows data: URLs for images only (a data: font would be blocked): emit files.
    assetsInlineLimit: 0,
  },
});
