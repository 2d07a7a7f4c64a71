/** The checked-in API report (etc/react.api.md) against the declarations the entry points export. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeApiReport } from '../../../scripts/api-report-suite.ts';

describeApiReport(path.join(path.dirname(fileURLToPath(import.meta.url)), '..'), 'export function useAuth(): AuthContextValue;', 'export function useAuth(): unknown;');
