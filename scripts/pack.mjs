#!/usr/bin/env node
// Pack lifecycle of a Portcullis package, with npm alone (no pnpm needed):
//
//   prepack      builds dist/ with the package's own TypeScript, then rewrites
//                package.json for the registry: every field of publishConfig
//                that pnpm would apply (exports, main, types, bin, ...) replaces
//                the top-level one, so `npm pack` / `npm publish` ship exports
//                that point at dist/ as `pnpm pack` does. The committed file is
//                kept aside as .package.json.committed.
//   postpack     puts the committed package.json back (after `npm publish`,
//                postpublish does, so that the registry's metadata, re-read
//                by npm after packing, is the published one too).
//   postpublish  same as postpack.
//   restore      same, by hand, if a pack was interrupted.
//
// In the workspace the committed exports point at src/ (TypeScript, loaded
// by vite, vitest, tsc and tsx without a build). One script for every package:
// it works on the package in the current directory (npm runs lifecycle
// scripts there), as `node ../../scripts/pack.mjs <step>`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The fields pnpm's publishConfig overrides (https://pnpm.io/package_json#publishconfig).
const PUBLISH_FIELDS = ['bin', 'main', 'exports', 'types', 'typings', 'module', 'browser', 'esnext', 'es2015', 'unpkg', 'umd:main', 'typesVersions', 'cpu', 'os'];

const dir = process.cwd();
const manifestFile = path.join(dir, 'package.json');
const backupFile = path.join(dir, '.package.json.committed');
const fail = (message) => {
  console.error(`[pack] ${message}`);
  process.exit(1);
};

function restore() {
  if (existsSync(backupFile)) renameSync(backupFile, manifestFile);
}

function build() {
  rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  let tsc;
  try {
    // Through package.json and its `bin`: TypeScript 7 exports no `./bin/tsc` subpath.
    const typescriptManifest = createRequire(manifestFile).resolve('typescript/package.json');
    const { bin } = JSON.parse(readFileSync(typescriptManifest, 'utf8'));
    tsc = path.join(path.dirname(typescriptManifest), typeof bin === 'string' ? bin : bin.tsc);
  } catch {
    fail('typescript is not installed: run the package manager install first (it is a devDependency)');
  }
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) fail('tsc -p tsconfig.build.json failed');
}

function publishManifest(manifest) {
  const published = { ...manifest };
  const config = { ...(manifest.publishConfig ?? {}) };
  for (const field of PUBLISH_FIELDS) {
    if (field in config) {
      published[field] = config[field];
      delete config[field];
    }
  }
  if (Object.keys(config).length > 0) published.publishConfig = config;
  else delete published.publishConfig;
  for (const kind of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, spec] of Object.entries(published[kind] ?? {})) {
      if (String(spec).startsWith('workspace:')) fail(`${kind}.${name} is "${spec}": npm cannot publish the workspace protocol`);
    }
  }
  return published;
}

function checkEntries(manifest) {
  const targets = [];
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.main);
  walk(manifest.types);
  walk(manifest.bin);
  for (const target of targets) {
    if (target.endsWith('.ts') && !target.endsWith('.d.ts')) fail(`the published package.json would point at TypeScript source: ${target}`);
    if (!target.endsWith('package.json') && !existsSync(path.join(dir, target))) fail(`the published package.json points at ${target}, which the build did not produce`);
  }
}

const step = process.argv[2];
if (step === 'prepack') {
  restore(); // a previous pack that was interrupted
  build();
  const committed = readFileSync(manifestFile, 'utf8');
  const published = publishManifest(JSON.parse(committed));
  checkEntries(published);
  writeFileSync(backupFile, committed);
  writeFileSync(manifestFile, `${JSON.stringify(published, null, 2)}\n`);
} else if (step === 'postpack') {
  // `npm publish` re-reads package.json after packing to send the registry its metadata.
  if (process.env['npm_command'] !== 'publish') restore();
} else if (step === 'postpublish' || step === 'restore') {
  restore();
} else {
  fail('usage: node ../../scripts/pack.mjs prepack|postpack|postpublish|restore');
}
