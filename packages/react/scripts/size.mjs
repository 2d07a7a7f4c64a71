// Bundle sizes of @portcullis/react: esbuild (bundle, minify, esm, react external) + gzip -9.
// Budgets (issue 17): AuthProvider + useAuth alone ≤ 2 kB; the whole package (both entry
// points, `.` and `./sessions`, bundled together) ≤ 2.5 kB. `--check` exits 1 over a budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const BUNDLES = [
  { name: 'AuthProvider + useAuth', code: "export { AuthProvider } from './AuthProvider.tsx'; export { useAuth } from './useAuth.ts';", budget: 2048 },
  { name: '@portcullis/react', code: "export * from './index.ts';" },
  { name: '@portcullis/react/sessions', code: "export * from './sessions.ts';" },
  { name: 'whole package', code: "export * from './index.ts'; export * from './sessions.ts';", budget: 2560 },
];

/** Minified and min+gzip sizes of one bundle. */
export async function measure(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: src, loader: 'ts', sourcefile: 'size-entry.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    external: ['react', 'react/jsx-runtime'],
    write: false,
    logLevel: 'warning',
  });
  const out = result.outputFiles[0].contents;
  return { min: out.length, gzip: gzipSync(out, { level: 9 }).length };
}

let over = false;
for (const { name, code, budget } of BUNDLES) {
  const { min, gzip } = await measure(code);
  const limit = budget ? ` / ${budget} B budget${gzip > budget ? ' — OVER' : ''}` : '';
  over ||= budget != null && gzip > budget;
  console.log(`${name.padEnd(28)} ${String(min).padStart(5)} B min, ${String(gzip).padStart(4)} B min+gzip${limit}`);
}
if (process.argv.includes('--check') && over) {
  console.error('over a min+gzip budget');
  process.exit(1);
}
