// UI tests: a person's clicks in a real VS Code (code-server) in Chromium, with the extension
// installed from the .vsix. Each test records screenshots in test/e2e/.work/screenshots.
//  (a) open digits-transfer.graft, click ▶ Run above `experiment digits_transfer`, follow the
//      results panel (screenshot while live and when finished), read the test accuracy and the
//      transfer gain from the webview and check them against the run's results.json; after a
//      reload the history lists a run of the exported PyTorch project beside it, with its engine;
//  (b) type an error into a spec and find its diagnostic in the Problems view.
//  (c) in an untrusted workspace, ▶ Run explains that runs are disabled; trusting it enables them.
//  (d) drop an image on the finished run's "Try the model" box and read its top classes, checked
//      against `graft predict` of the same file and run.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const RUN_TIMEOUT_MS = Number(process.env.GRAFT_E2E_RUN_TIMEOUT_MS ?? 20 * 60_000);

async function openWorkbench(page, url, folder) {
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // Let the workbench settle (restored views, extension host start).
    await page.locator('.statusbar').waitFor({ timeout: 60_000 });
}

async function openFile(page, name) {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30_000 });
    await input.fill(name);
    // Click the matching row itself: the list briefly shows recently opened files before it filters.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.locator(`.tab[aria-label^="${name}"]`).first().waitFor({ timeout: 30_000 });
    // The language indicator shows Graft once the extension's language is known.
    await page.locator('#status\\.editor\\.mode').filter({ hasText: 'Graft' }).waitFor({ timeout: 60_000 });
}

/** 1-based line of `experiment <name>` in a spec of the test workspace. */
function declarationLine(ws, file, name) {
    const lines = readFileSync(join(ws, file), 'utf8').split('\n');
    const index = lines.findIndex((l) => new RegExp(`^\\s*experiment\\s+${name}\\b`).test(l));
    return index >= 0 ? index + 1 : undefined;
}

/** The ▶ Run lens right above the line `experiment <name> {`. */
async function runLensFor(page, ws, file, name) {
    // Bring the declaration into view first: with the Problems panel open (an earlier test) the
    // editor is short and Monaco renders only the visible lines. Quick Open's `:line` jumps there.
    const lineNumber = declarationLine(ws, file, name);
    if (lineNumber) {
        await page.keyboard.press('Control+P');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ timeout: 30_000 });
        await input.fill(`:${lineNumber}`);
        await page.keyboard.press('Enter');
    }
    const line = page.locator('.view-line', { hasText: `experiment ${name}` }).first();
    await line.waitFor({ timeout: 60_000 });
    await page.locator('.codelens-decoration a:visible', { hasText: '▶ Run' }).first().waitFor({ timeout: 90_000 });
    const lineBox = await line.boundingBox();
    const lenses = page.locator('.codelens-decoration a', { hasText: /^▶ Run$/ });
    let best;
    let bestY = -Infinity;
    for (let i = 0; i < (await lenses.count()); i++) {
        const box = await lenses.nth(i).boundingBox();
        if (box && lineBox && box.y < lineBox.y && box.y > bestY) {
            best = lenses.nth(i);
            bestY = box.y;
        }
    }
    if (!best) throw new Error(`no ▶ Run lens above experiment ${name}`);
    return best;
}

function webview(page) {
    return page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
}

function newestRun(ws, experiment) {
    const dir = join(ws, 'runs', experiment);
    if (!existsSync(dir)) return undefined;
    const runs = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'results.json'))).sort();
    return runs.length ? join(dir, runs.at(-1)) : undefined;
}

async function testRunTransfer({ page, ws, shots, log }) {
    await openFile(page, 'digits-transfer.graft');
    const lens = await runLensFor(page, ws, 'digits-transfer.graft', 'digits_transfer');
    await lens.click();
    const view = webview(page);
    await view.locator('#run-status').waitFor({ timeout: 60_000 });
    log('panel opened');
    // Live: wait for an epoch (of the dependency, the baseline or the transfer itself), or the end.
    const progress = view.locator('#progress-text');
    const status = view.locator('#run-status');
    const t0 = Date.now();
    const final = /^(completed|failed|cancelled)$/;
    let shotLive = false;
    for (;;) {
        const st = (await status.textContent())?.trim() ?? '';
        if (final.test(st)) break;
        const done = /(\d+)\/\d+ epochs/.exec((await progress.textContent()) ?? '');
        // Live screenshot once a few epochs are on the curves.
        if (!shotLive && done && Number(done[1]) >= 2 && (await view.locator('canvas').count()) > 0) {
            await page.waitForTimeout(1000);
            await page.screenshot({ path: join(shots, 'run-live.png') });
            log(`live screenshot after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${await progress.textContent()}`);
            shotLive = true;
        }
        if (Date.now() - t0 > RUN_TIMEOUT_MS) throw new Error(`the run did not finish within ${RUN_TIMEOUT_MS / 60000} min`);
        await page.waitForTimeout(500);
    }
    const ended = (await status.textContent())?.trim();
    await page.waitForTimeout(1000);
    await page.screenshot({ path: join(shots, 'run-finished.png') });
    if (ended !== 'completed') {
        const err = await view.locator('.error').first().textContent({ timeout: 2000 }).catch(() => '');
        throw new Error(`the run ended ${ended}: ${err}`);
    }
    log(`finished after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const accText = (await view.locator('#metrics-table tr[data-metric="accuracy"] td[data-split="test"]').textContent())?.trim();
    // The headline gain is against training every layer from scratch.
    const gainValue = Number(await view.locator('#transfer-gain-scratch').getAttribute('data-value'));
    const gainText = (await view.locator('#transfer-gain-scratch .big').textContent())?.trim();
    const accuracy = Number(accText?.replace('%', '')) / 100;
    log(`webview: test accuracy ${accText}, transfer gain ${gainText}`);
    // The panel must show what the runtime recorded.
    const runDir = newestRun(ws, 'digits_transfer');
    if (!runDir) throw new Error('no run folder with results.json under runs/digits_transfer');
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    const fileAcc = results.metrics?.test?.accuracy;
    if (!(Math.abs(accuracy - fileAcc) < 0.0006)) throw new Error(`panel accuracy ${accuracy} ≠ results.json ${fileAcc}`);
    if (!Number.isFinite(gainValue)) throw new Error(`no transfer gain in the panel (${gainText})`);
    const fileGain = results.transferGain?.scratch?.test?.accuracy;
    if (typeof fileGain !== 'number') throw new Error(`results.json has no transferGain.scratch.test.accuracy: ${JSON.stringify(results.transferGain)}`);
    if (Math.abs(fileGain - gainValue) > 1e-9) throw new Error(`panel gain ${gainValue} ≠ results.json ${fileGain}`);
    // Scroll through the finished panel for a second screenshot of the lower sections.
    await view.locator('.phases').first().scrollIntoViewIfNeeded().catch(() => undefined);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'run-finished-details.png') });
    // A run of the exported PyTorch project lands in the same history (rank 0 writes Graft's
    // results.json with its engine; `npm run test:export` produces real ones): after the reload the
    // panel lists it beside the local run, labelled with that engine.
    const exportedDir = join(dirname(runDir), '29991231-000000-pytorch');
    mkdirSync(exportedDir, { recursive: true });
    writeFileSync(join(exportedDir, 'results.json'), JSON.stringify({ ...results, runId: '29991231-000000-pytorch', backend: 'cpu', engine: { name: 'pytorch', version: '1.13.1', distributed: 'ddp', collective: 'gloo', worldSize: 2 } }));
    // Reload the whole editor: the webview serializer must bring the panel back with its run.
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await webview(page).locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 90_000 });
    log('panel restored by the serializer after a reload');
    const engineCell = webview(page).locator('table.history td.engine.exported').first();
    await engineCell.waitFor({ timeout: 30_000 });
    const engineText = (await engineCell.textContent())?.trim();
    if (engineText !== 'PyTorch 1.13.1 DDP ×2 (gloo)') throw new Error(`history engine label: ${engineText}`);
    const localEngine = (await webview(page).locator('table.history td.engine:not(.exported)').first().textContent())?.trim();
    if (localEngine !== 'Graft') throw new Error(`local run's engine label: ${localEngine}`);
    await engineCell.scrollIntoViewIfNeeded().catch(() => undefined);
    await page.screenshot({ path: join(shots, 'history-engines.png') });
    rmSync(exportedDir, { recursive: true, force: true });
    log(`history lists the exported run as ${engineText}`);
    return { accuracy, gain: gainValue, runDir, exportedEngine: engineText };
}

async function testProblems({ page, ws, shots, log }) {
    const file = 'typo-check.graft';
    writeFileSync(join(ws, file), '// A spec to type into.\n');
    await openFile(page, file);
    // Type a reference to a dataset that does not exist at the end of the file.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nexperiment typo_check {\n data digits_sourse\n', { delay: 5 });
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'digits_sourse' }).first();
    await row.waitFor({ timeout: 60_000 });
    const text = (await row.textContent())?.trim();
    await page.screenshot({ path: join(shots, 'problems.png') });
    log(`Problems view: ${text}`);
    // Leave the workspace as it was: close the Problems view and the file without saving.
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.press('Control+S');
    return { problem: text };
}

async function testUntrusted({ page, ws, shots, log }) {
    // The profile keeps workspace trust on and never prompts: the folder starts in Restricted Mode.
    await openFile(page, 'digits-transfer.graft');
    const lens = await runLensFor(page, ws, 'digits-transfer.graft', 'digits_transfer');
    await lens.click();
    const toast = page.locator('.notification-toast', { hasText: 'runs are disabled in this untrusted workspace' }).first();
    await toast.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'untrusted.png') });
    log(`notification: ${(await toast.locator('.notification-list-item-message').textContent())?.trim()}`);
    // Trust the folder through the button the message offers, as a user would.
    await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).click();
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
    await trust.waitFor({ timeout: 30_000 });
    await trust.click();
    await page.locator('.workspace-trust-editor', { hasText: /trusted/i }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+W');
    log('workspace trusted');
    return { trusted: true };
}

async function testPredictBox({ page, ws, shots, log }) {
    // The panel of the finished digits_transfer run (test (a)) is open.
    const view = webview(page);
    await view.locator('#run-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    const drop = view.locator('#predict-drop');
    await drop.waitFor({ timeout: 30_000 });
    await drop.scrollIntoViewIfNeeded();
    const image = join(ws, 'data', 'fashion5', 'trouser', 'trouser_train_1.png');
    // A desktop drag, as Chromium delivers it: a drop event whose DataTransfer holds the file.
    await drop.evaluate((el, b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'trouser_train_1.png', { type: 'image/png' }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, readFileSync(image).toString('base64'));
    const first = view.locator('#predict-result tr[data-rank="1"]');
    await first.waitFor({ timeout: 90_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'predict-box.png') });
    const shownClass = await first.getAttribute('data-class');
    const shownPct = (await first.locator('td.num').textContent())?.trim();
    log(`box: ${shownClass} ${shownPct}`);
    // The same image through the CLI, on the same run.
    const runDir = newestRun(ws, 'digits_transfer');
    const cli = join(import.meta.dirname, '..', '..', 'bin', 'graft.js');
    const out = JSON.parse(execFileSync(process.execPath, [cli, 'predict', runDir, image, '--format', 'json', '--top', '5'], { encoding: 'utf8' }));
    const top = out.predictions[0].outputs[0].top[0];
    if (top.class !== shownClass) throw new Error(`box shows ${shownClass}, graft predict says ${top.class}`);
    if (`${(top.probability * 100).toFixed(1)}%` !== shownPct) throw new Error(`box shows ${shownPct}, graft predict says ${top.probability}`);
    return { class: shownClass, probability: shownPct };
}

export async function uiTests({ browser, url, ws, shots }) {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const results = [];
    const tests = [
        ['diagnostic in the Problems view', testProblems],
        ['runs are disabled until the workspace is trusted', testUntrusted],
        ['▶ Run digits_transfer and read the results panel', testRunTransfer],
        ['drop an image on the finished run\'s panel: its top classes', testPredictBox]
    ];
    await openWorkbench(page, url, ws);
    for (const [name, fn] of tests) {
        const t0 = Date.now();
        const log = (m) => console.log(`    ${m}`);
        try {
            const r = await fn({ page, ws, shots, log });
            console.log(`  ✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s) ${JSON.stringify(r)}`);
            results.push(true);
        } catch (err) {
            await page.screenshot({ path: join(shots, `failed-${name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
            console.log(`  ✗ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n      ${String(err.stack ?? err).split('\n').slice(0, 6).join('\n      ')}`);
            results.push(false);
        }
    }
    return results.every(Boolean);
}
