// The end-to-end run behind `npm run test:e2e` (started by run.sh with Node 24, after setup and
// build): packages the .vsix, then
//   1. extension-host tests (test/extension, the @vscode/test-electron run() contract) inside
//      code-server through its smoke-test driver, with the extension loaded from the source tree;
//   2. UI tests (ui-tests.mjs) with playwright-core in Debian's Chromium against a fresh
//      code-server where the .vsix is installed — the same thing a user installs.
// Each phase gets a fresh copy of the examples as its workspace. Exit code 0 only if all pass.
// Options: --only=ext|ui, --keep (keep the temp folder for inspection).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launchBrowser, prepareProfile, startCodeServer } from './code-server.mjs';
import { installVsix, packageVsix } from './package-vsix.mjs';
import { uiTests } from './ui-tests.mjs';

const root = join(import.meta.dirname, '..', '..');
// The project's own examples (a clean clone has them); the shared reference copy otherwise.
const examples = process.env.GRAFT_EXAMPLES ?? [join(root, 'examples'), join(root, '..', 'shared', 'examples')].find((d) => existsSync(join(d, 'digits-transfer.graft')));
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const keep = process.argv.includes('--keep');
const work = join(import.meta.dirname, '.work');
const shots = join(work, 'screenshots');
mkdirSync(shots, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'graft-e2e-'));
console.log(`e2e: temp folder ${tmp}`);

function workspace(name) {
    if (!examples || !existsSync(examples)) throw new Error('no examples folder with digits-transfer.graft (looked in ./examples and ../shared/examples; set GRAFT_EXAMPLES)');
    const ws = join(tmp, name);
    cpSync(examples, ws, { recursive: true });
    return ws;
}

async function extensionHostTests() {
    const out = join(work, 'ext-tests', 'index.cjs');
    await build({ entryPoints: [join(root, 'test', 'extension', 'index.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: ['vscode'], sourcemap: 'inline', logLevel: 'warning' });
    const ws = workspace('ext-ws');
    const dirs = prepareProfile(join(tmp, 'profile-ext'));
    const settingsFile = join(dirs.userData, 'User', 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(readFileSync(settingsFile, 'utf8')), 'security.workspace.trust.enabled': false }, null, 2));
    const logFile = join(tmp, 'ext-tests.log');
    writeFileSync(logFile, '');
    process.env.GRAFT_TEST_LOG = logFile;
    const server = await startCodeServer({ dirs, smokeTestDriver: true, logFile: join(tmp, 'code-server-ext.log') });
    const browser = await launchBrowser(join(tmp, 'chromium-ext'));
    try {
        const page = browser.pages()[0] ?? (await browser.newPage());
        let exit;
        const exited = new Promise((r) => (exit = r));
        await page.exposeFunction('codeAutomationExit', (code) => exit(Number(code)));
        await page.exposeFunction('codeAutomationLog', () => undefined);
        const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
        const payload = JSON.stringify([['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(out)]]);
        await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
        const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15 * 60_000))]);
        console.log(readFileSync(logFile, 'utf8').trimEnd());
        if (code === 'timeout') throw new Error('extension-host tests did not finish within 15 min');
        return code === 0;
    } finally {
        await browser.close();
        await server.stop();
        delete process.env.GRAFT_TEST_LOG;
    }
}

async function uiPhase() {
    const vsix = packageVsix();
    const dirs = prepareProfile(join(tmp, 'profile-ui'));
    installVsix(dirs, vsix);
    console.log(`e2e: installed ${vsix.id}@${vsix.version} into a fresh code-server profile`);
    const ws = workspace('ui-ws');
    const server = await startCodeServer({ dirs, logFile: join(tmp, 'code-server-ui.log') });
    const browser = await launchBrowser(join(tmp, 'chromium-ui'));
    try {
        return await uiTests({ browser, url: server.url, ws, shots, tmp });
    } finally {
        await browser.close();
        await server.stop();
    }
}

let ok = true;
try {
    if (only !== 'ui') {
        console.log('e2e: extension-host tests (code-server + smoke-test driver)');
        ok = (await extensionHostTests()) && ok;
    }
    if (only !== 'ext') {
        console.log('e2e: UI tests (playwright-core + Chromium, extension installed from the .vsix)');
        ok = (await uiPhase()) && ok;
    }
} catch (err) {
    console.error(`e2e: ${err.stack ?? err}`);
    ok = false;
} finally {
    if (!keep) rmSync(tmp, { recursive: true, force: true });
    else console.log(`e2e: kept ${tmp}`);
}
console.log(ok ? 'e2e: all passed' : 'e2e: FAILED');
process.exit(ok ? 0 : 1);
