#!/usr/bin/env node
// The `graft` command. The TypeScript sources are compiled to out/ by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../out/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
    console.error('graft: the project is not built yet. Run `npm install` (or `npm run build`) in ' + fileURLToPath(new URL('..', import.meta.url)));
    process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
