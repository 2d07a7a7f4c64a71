// The package stands alone: neither its source nor its tests may import the
// demo (or anything outside the package but its declared dependencies).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function files(dir: string): string[] {
  // scripts/ may be absent: the package's build and pack scripts live at the repository root.
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : /\.(ts|mjs)$/.test(entry.name) ? [path.join(dir, entry.name)] : []));
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

describe('architecture', () => {
  it('no file of src/, test/ or scripts/ imports the demo or leaves the package by a relative path', () => {
    const offenders: string[] = [];
    for (const file of ['src', 'test', 'scripts'].flatMap((dir) => files(path.join(root, dir)))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const outside = specifier!.startsWith('.') && path.relative(root, path.resolve(path.dirname(file), specifier!)).startsWith('..');
        if (outside || specifier!.startsWith('@portcullis/demo')) offenders.push(`${path.relative(root, file)}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
