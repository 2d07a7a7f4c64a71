/** The checked-in API report (etc/bff.api.md) against the declarations the entry points export. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeApiReport } from '../../../scripts/api-report-suite.ts';

describeApiReport(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..'),
  'export function createBff(input: BffOptions): BffMiddleware;',
  'export function createBff(input: unknown): BffMiddleware;',
);
