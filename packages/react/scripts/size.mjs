// Bundle size of @portcullis/react: esbuild (bundle, minify, esm, react external) + gzip -9.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  external: ['react', 'react/jsx-runtime'],
  write: false,
  logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
const gzip = gzipSync(code, { level: 9 }).length;
const kB = (n) => `${n} B (${(n / 1024).toFixed(2)} kB)`;
console.log(`min:      ${kB(code.length)}`);
console.log(`min+gzip: ${kB(gzip)}`);
if (process.argv.includes('--check') && gzip > 2048) {
  console.error('over the 2 kB min+gzip budget');
  process.exit(1);
}
