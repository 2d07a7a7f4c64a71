#!/usr/bin/env node
// The `portcullis` command.
//   - Installed from the registry (no src/ in the package) it runs the build in dist/.
//   - In a checkout of the repository (src/ next to dist/) it runs the TypeScript
//     source through tsx, a devDependency of the workspace: no build needed, and a
//     stale dist/ left by a pack is never run.
// A TypeScript config file (.ts/.mts/.cts) needs a loader where Node cannot strip
// types itself (Node 20): tsx is an optional peer dependency, registered when such
// a file is named and tsx is installed.
import { existsSync } from 'node:fs';

const source = new URL('../src/server/cli.ts', import.meta.url);

async function registerTsx() {
  // ESM and CommonJS hooks: a portcullis.config.ts may sit in a folder without "type": "module".
  (await import('tsx/esm/api')).register();
  (await import('tsx/cjs/api')).register();
}

let cli;
if (existsSync(source)) {
  await registerTsx();
  cli = await import(source.href);
} else {
  const args = [...process.argv.slice(2), process.env.PORTCULLIS_CONFIG ?? ''];
  if (args.some((arg) => /\.[cm]?ts$/i.test(arg)) && !process.features?.typescript) {
    try {
      await registerTsx();
    } catch {
      console.error('portcullis: a TypeScript config file needs tsx on this Node version (npm install tsx), or Node 22.18+ / 23.6+, or a .json / .js config.');
    }
  }
  cli = await import('../dist/server/cli.js');
}
const code = await cli.main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
