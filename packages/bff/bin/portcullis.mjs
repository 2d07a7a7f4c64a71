#!/usr/bin/env node
// The `portcullis` command. In this workspace it runs the TypeScript source
// through tsx; a published build (dist/) runs without it.
import { existsSync } from 'node:fs';

const built = new URL('../dist/server/cli.js', import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  // ESM and CommonJS hooks: a portcullis.config.ts may sit in a folder without "type": "module".
  (await import('tsx/esm/api')).register();
  (await import('tsx/cjs/api')).register();
  cli = await import('../src/server/cli.ts');
}
const code = await cli.main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
