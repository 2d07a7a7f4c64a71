import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The checked-in API report against the declarations src/index.ts exports.
const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '../../../scripts/api-report.mjs');
const report = path.join(here, '../etc/api-guard.api.md');
const check = (...args: string[]) => spawnSync(process.execPath, [script, path.join(here, '..'), '--check', ...args], { encoding: 'utf8' });

describe('API report (etc/api-guard.api.md)', () => {
  it('matches the declarations the entry points export: a public API change needs `node scripts/api-report.mjs`', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 120_000);

  it('a report that differs from the exported declarations fails the check, naming the line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'api-report-'));
    try {
      const stale = path.join(dir, 'api-guard.api.md');
      writeFileSync(stale, readFileSync(report, 'utf8').replace('export function isClientToken(auth: AuthInfo): boolean;', 'export function isClientToken(auth: unknown): boolean;'));
      const run = check(`--report=${stale}`);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('is stale');
      expect(run.stderr).toContain('+ export function isClientToken(auth: AuthInfo): boolean;');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
