/**
 * The API-report tests every package runs (`test/api-report.test.ts`): the checked-in report
 * matches the exported declarations, and a report that differs fails the check naming the line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'api-report.mjs');

/**
 * Declares the two tests for the package in `pkgDir`; `declaration` is one line of its report,
 * which the stale-report test changes to `changed`.
 */
export function describeApiReport(pkgDir: string, declaration: string, changed: string): void {
  const name = path.basename(pkgDir);
  const report = path.join(pkgDir, `etc/${name}.api.md`);
  const check = (...args: string[]) => spawnSync(process.execPath, [script, pkgDir, '--check', ...args], { encoding: 'utf8' });

  describe(`API report (etc/${name}.api.md)`, () => {
    it('matches the declarations the entry points export: a public API change needs `node scripts/api-report.mjs`', () => {
      const run = check();
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }, 120_000);

    it('a report that differs from the exported declarations fails the check, naming the line', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'api-report-'));
      try {
        const stale = path.join(dir, `${name}.api.md`);
        writeFileSync(stale, readFileSync(report, 'utf8').replace(declaration, changed));
        const run = check(`--report=${stale}`);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('is stale');
        expect(run.stderr).toContain(`+ ${declaration}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  });
}
