#!/usr/bin/env node
// The import graph of each package's src/ (type imports included): modules, internal imports,
// the largest modules, and every cycle. Exits 1 when a package has a cycle (run by `npm test`).
//   node scripts/import-graph.mjs packages/bff/src packages/react/src packages/api-guard/src
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function modulesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...modulesUnder(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative import specifiers of a module resolved to modules of the set (`.js` → `.ts`/`.tsx`). */
function importsOf(file, known) {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers
    .map((s) => path.resolve(path.dirname(file), s))
    .map((p) => [p, p.replace(/\.js$/, '.ts'), p.replace(/\.js$/, '.tsx')].find((c) => known.has(c)))
    .filter(Boolean);
}

let failed = false;
for (const arg of process.argv.slice(2)) {
  const root = path.resolve(arg);
  const files = modulesUnder(root);
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(f, known)]));
  const cycles = [];
  const state = new Map();
  const stack = [];
  const visit = (node) => {
    state.set(node, 'open');
    stack.push(node);
    for (const dep of graph.get(node)) {
      if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((p) => path.relative(root, p)).join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  const lines = files.map((f) => [path.relative(root, f), readFileSync(f, 'utf8').split('\n').length]).sort((a, b) => b[1] - a[1]);
  const edges = [...graph.values()].reduce((n, deps) => n + deps.length, 0);
  console.log(
    `${arg}: ${files.length} modules, ${edges} internal imports, ${cycles.length} cycles; largest: ${lines
      .slice(0, 3)
      .map(([f, n]) => `${f} ${n}`)
      .join(', ')}`,
  );
  for (const cycle of cycles) console.log(`  cycle: ${cycle}`);
  if (cycles.length) failed = true;
}
process.exit(failed ? 1 : 0);
