// Extension-host test entry (the @vscode/test-electron `extensionTestsPath` contract: a module
// exporting run()). Bundled to CommonJS by test/e2e/run-e2e.mjs and run inside code-server through
// its smoke-test driver; with internet it runs unchanged under @vscode/test-electron.
import { appendFileSync } from 'node:fs';
import { runAll } from './harness.js';
import './suite.js';

export async function run(): Promise<void> {
    // The runner may ask for a log file: the extension host's console is not always visible to it.
    const file = process.env.GRAFT_TEST_LOG;
    await runAll((line) => {
        console.log(line);
        if (file) appendFileSync(file, line + '\n');
    });
}
