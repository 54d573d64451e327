// Bundles what must be self-contained: the VS Code extension and the language server (CommonJS,
// loaded by VS Code) and the results-panel webview (browser). The CLI and runtime run from tsc's
// out/ folder as ES modules.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', minify: !watch };
const jobs = [];
if (existsSync('src/extension/main.ts')) {
    jobs.push(build({ ...common, entryPoints: ['src/extension/main.ts'], outfile: 'out/bundle/extension.cjs', platform: 'node', format: 'cjs', external: ['vscode'] }));
}
jobs.push(build({ ...common, entryPoints: ['src/language/main.ts'], outfile: 'out/bundle/language-server.cjs', platform: 'node', format: 'cjs' }));
if (existsSync('src/extension/panel/app/main.ts')) {
    jobs.push(build({ ...common, entryPoints: ['src/extension/panel/app/main.ts'], outfile: 'out/bundle/panel.js', platform: 'browser', format: 'iife' }));
}
await Promise.all(jobs);
