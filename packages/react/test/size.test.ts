import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A path, not new URL(…, import.meta.url): jsdom replaces the global URL.
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../scripts/size.mjs');

describe('bundle size budgets (scripts/size.mjs --check)', () => {
  it('AuthProvider + useAuth ≤ 2 kB and the whole package ≤ 2.5 kB, min+gzip', () => {
    const run = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/AuthProvider \+ useAuth .* B min\+gzip \/ 2048 B budget\n/);
    expect(run.stdout).toMatch(/whole package .* B min\+gzip \/ 2560 B budget\n/);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);
});
