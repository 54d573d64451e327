// Extension-host tests: the real extension in a real VS Code (code-server), on a copy of the
// shipped examples. They check the wiring a UI test would only see indirectly: the language server
// feeding diagnostics/completion/hover/formatting, CodeLens, commands, runs and their failure path.
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, waitFor } from './harness.js';
import type { GraftApi } from '../../src/extension/main.js';

const EXT_ID = 'graft.graft';

function folder(): string {
    const f = vscode.workspace.workspaceFolders?.[0];
    assert.ok(f, 'the tests need a workspace folder holding a copy of the examples');
    return f.uri.fsPath;
}

async function api(): Promise<GraftApi> {
    const ext = vscode.extensions.getExtension<GraftApi>(EXT_ID);
    assert.ok(ext, `extension ${EXT_ID} is not installed`);
    return ext.isActive ? ext.exports : await ext.activate();
}

async function open(name: string): Promise<vscode.TextDocument> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(join(folder(), name)));
    await vscode.window.showTextDocument(doc);
    return doc;
}

test('opening a .graft file activates the extension and sets the language', async () => {
    const doc = await open('digits-transfer.graft');
    assert.equal(doc.languageId, 'graft');
    const a = await api();
    assert.ok(await a.client, 'language client started');
});

test('palette commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['graft.run', 'graft.runSweep', 'graft.plan', 'graft.showResults', 'graft.stopRun', 'graft.compareRuns']) assert.ok(all.includes(c), `${c} registered`);
});

test('CodeLens: ▶ Run / Plan / Results on each experiment, ▶ Run sweep on a sweep', async () => {
    const doc = await open('digits-transfer.graft');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const titles = lenses.map((l) => `${l.range.start.line}:${l.command?.title}:${l.command?.arguments?.[1]}`);
    const line = (name: string) => doc.getText().split('\n').findIndex((l) => l.startsWith(`experiment ${name}`));
    for (const exp of ['digits_pretrain', 'digits_transfer', 'digits_prototypes']) {
        for (const t of ['▶ Run', 'Plan', 'Results']) assert.ok(titles.includes(`${line(exp)}:${t}:${exp}`), `${t} lens on ${exp} (got ${titles.join(', ')})`);
    }
    const sweep = await open('sweep.graft');
    const sl = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', sweep.uri);
    assert.deepEqual(sl.map((l) => [l.command?.title, l.command?.arguments?.[1]]), [['▶ Run sweep', 'digits_lr'], ['Results', 'digits_lr']]);
});

test('the language server reports diagnostics for a broken spec', async () => {
    const uri = vscode.Uri.file(join(folder(), 'broken-ext-test.graft'));
    await vscode.workspace.fs.writeFile(uri, Buffer.from('experiment broken {\n  data no_such_dataset\n}\n'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diags = await waitFor('diagnostics on broken-ext-test.graft', () => {
        const d = vscode.languages.getDiagnostics(uri);
        return d.length ? d : undefined;
    }, 45_000);
    assert.ok(diags.some((d) => d.severity === vscode.DiagnosticSeverity.Error && d.range.start.line === 1), `an error on line 2 (got ${diags.map((d) => `${d.range.start.line + 1}: ${d.message}`).join(' | ')})`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.workspace.fs.delete(uri);
}, 60_000);

test('the valid examples have no errors', async () => {
    for (const name of ['digits-transfer.graft', 'sweep.graft']) {
        const doc = await open(name);
        // Give the server time to validate the workspace, then check.
        await new Promise((r) => setTimeout(r, 1500));
        const errors = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error && d.source !== 'graft run');
        assert.deepEqual(errors.map((d) => `${d.range.start.line + 1}: ${d.message}`), [], `${name} has errors`);
    }
});

test('completion and hover come from the language server', async () => {
    const doc = await open('digits-transfer.graft');
    const lines = doc.getText().split('\n');
    const row = lines.findIndex((l) => l.trim().startsWith('optimizer adam'));
    const col = lines[row]!.indexOf('optimizer');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(row, col + 2));
    assert.ok(hovers.length > 0, 'hover on `optimizer`');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(row, col));
    assert.ok(list.items.length > 0, 'completion items inside an experiment');
});

test('a run that fails puts its error in the Problems view and the Graft log', async () => {
    const a = await api();
    const doc = await open('digits-transfer.graft');
    const cfg = vscode.workspace.getConfiguration('graft');
    // A backend name no runtime knows makes the run fail fast, before any training.
    await cfg.update('backend', 'no-such-backend', vscode.ConfigurationTarget.Workspace);
    try {
        const snap = await a.runs.run(doc.uri, 'digits_pretrain', 'experiment');
        assert.ok(snap, 'the run was started');
        assert.equal(snap.status, 'failed', `status (error: ${snap.error?.message})`);
        const diags = vscode.languages.getDiagnostics().flatMap(([, d]) => d).filter((d) => d.source === 'graft run');
        assert.ok(diags.length > 0, 'a graft run diagnostic');
        assert.match(diags[0]!.message, /digits_pretrain failed/);
        assert.match(diags[0]!.message, /no-such-backend/, 'the diagnostic says what went wrong');
    } finally {
        await cfg.update('backend', undefined, vscode.ConfigurationTarget.Workspace);
    }
}, 120_000);

test('Stop ends a run within 2 s and the run is cancelled', async () => {
    const a = await api();
    const doc = await open('digits-transfer.graft');
    const done = a.runs.run(doc.uri, 'digits_pretrain', 'experiment');
    // Wait until it really trains (or ends early, e.g. when the runtime is missing).
    const live = await waitFor('the run to start training', () => {
        const s = a.runs.active.find((r) => r.experiment === 'digits_pretrain');
        return !s ? 'ended' : s.current ? s : undefined;
    }, 240_000, 100);
    assert.notEqual(live, 'ended', 'the run ended before it could be stopped');
    const t0 = Date.now();
    await vscode.commands.executeCommand('graft.stopRun');
    const snap = (await done)!;
    const ms = Date.now() - t0;
    assert.ok(ms <= 2500, `stopped in ${ms} ms`);
    assert.equal(snap.status, 'cancelled');
    assert.ok(snap.runDir && existsSync(snap.runDir), 'the run folder exists');
    const results = join(snap.runDir, 'results.json');
    if (existsSync(results)) assert.equal(JSON.parse((await vscode.workspace.fs.readFile(vscode.Uri.file(results))).toString()).status, 'cancelled');
    assert.ok(a.panels.isOpen('digits_pretrain'), 'the results panel followed the run');
}, 300_000);

test('Plan shows `graft plan` of the experiment beside the spec', async () => {
    const doc = await open('digits-transfer.graft');
    await vscode.commands.executeCommand('graft.plan', doc.uri, 'digits_transfer');
    const shown = await waitFor('the plan document', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'graft-plan')?.document, 60_000);
    const text = shown.getText();
    assert.match(text, /digits_transfer/);
    assert.doesNotMatch(text, /graft plan failed/, text.slice(0, 400));
}, 90_000);

test('Results reopens the last run of an experiment from its run folder', async () => {
    const a = await api();
    const doc = await open('digits-transfer.graft');
    // The stop test above left a cancelled run of digits_pretrain.
    await vscode.commands.executeCommand('graft.showResults', doc.uri, 'digits_pretrain');
    assert.ok(a.panels.isOpen('digits_pretrain'));
    const state = await waitFor('the panel state', () => a.panels.lastState('digits_pretrain'), 10_000);
    assert.equal(state.view, 'run');
    if (state.view === 'run') {
        assert.equal(state.run.status, 'cancelled');
        assert.ok(state.history.length >= 1, 'run history listed');
    }
});

test('the spec copies inside run folders do not redeclare names in the workspace', async () => {
    const doc = await open('digits-transfer.graft');
    const copies = await vscode.workspace.findFiles('runs/**/spec.graft');
    assert.ok(copies.length > 0, 'the runs above left spec copies in their folders');
    // Give the file watcher time to deliver their creation.
    await new Promise((r) => setTimeout(r, 2000));
    const dup = vscode.languages.getDiagnostics(doc.uri).filter((d) => /more than once/.test(d.message));
    assert.deepEqual(dup.map((d) => d.message), []);
});

test('Compare shows two runs side by side with the diff of their specs', async () => {
    const a = await api();
    const doc = await open('digits-transfer.graft');
    // A second (stopped) run of digits_pretrain, after a change to the spec.
    const edit = new vscode.WorkspaceEdit();
    const text = doc.getText();
    const at = text.indexOf('optimizer adam lr 1e-3');
    assert.ok(at >= 0);
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + 'optimizer adam lr 1e-3'.length)), 'optimizer adam lr 2e-3');
    await vscode.workspace.applyEdit(edit);
    const done = a.runs.run(doc.uri, 'digits_pretrain', 'experiment');
    await waitFor('the second run to start', () => a.runs.active.find((r) => r.experiment === 'digits_pretrain')?.runDir, 240_000, 100);
    await vscode.commands.executeCommand('graft.stopRun');
    const second = (await done)!;
    const runsRoot = a.runs.runsRoot(doc.uri);
    const first = (await vscode.workspace.findFiles('runs/digits_pretrain/*/results.json')).map((u) => join(u.fsPath, '..')).find((d) => d !== second.runDir);
    assert.ok(first && second.runDir, `two run folders under ${runsRoot}`);
    a.panels.showCompare(first, second.runDir);
    const state = await waitFor('the comparison state', () => a.panels.lastCompareState(first, second.runDir!), 10_000);
    assert.equal(state.view, 'compare');
    if (state.view === 'compare') {
        const changed = state.specDiff.filter((d) => d.kind !== 'same').map((d) => `${d.kind} ${d.text.trim()}`);
        assert.deepEqual(changed, ['removed optimizer adam lr 1e-3', 'added optimizer adam lr 2e-3']);
        assert.equal(state.b.status, 'cancelled');
    }
    // Put the spec back as it was for any later test.
    const undo = new vscode.WorkspaceEdit();
    undo.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
    await vscode.workspace.applyEdit(undo);
    await doc.save();
}, 300_000);

test('a completed run gets a Predict… lens, and its panel classifies an image through `graft predict`', async () => {
    const a = await api();
    // A tiny experiment of its own (8×8 fashion images, one epoch), so that a real model exists.
    const uri = vscode.Uri.file(join(folder(), 'predict-ext-test.graft'));
    const spec = `dataset ext_predict_data {
  source folder "data/fashion5"
  image 8 x 8 grayscale
  split train 60%, val 20%, test 20% stratified
}

experiment ext_predict {
  data ext_predict_data
  backbone small_cnn filters 4
  head {
    pool average
    output softmax
  }
  train {
    epochs 1
    batch 64
  }
  seed 1
}
`;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(spec));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const lensTitles = async () => (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).map((l) => l.command?.title);
    assert.ok(!(await lensTitles()).includes('Predict…'), 'no Predict… lens before any run');
    const snap = await a.runs.run(uri, 'ext_predict', 'experiment');
    assert.ok(snap, 'the run was started');
    assert.equal(snap.status, 'completed', `status (error: ${snap.error?.message})`);
    assert.ok(snap.runDir && existsSync(join(snap.runDir, 'model', 'graft-model.json')), 'the run wrote its model and description');
    await waitFor('the Predict… lens', async () => (await lensTitles()).includes('Predict…'), 10_000);
    // The panel of a completed run offers the box (the state's run is the live snapshot object, so
    // wait for a state computed after the end, not just for the status).
    await waitFor('the panel state with the box', () => {
        const s = a.panels.lastState('ext_predict');
        return s?.view === 'run' && s.canPredict ? s : undefined;
    }, 10_000);
    // … and classifies an image with the run's model (what the Predict… command does after its file dialog).
    const image = join(folder(), 'data', 'fashion5', 'bag', 'bag_train_0.jpg');
    const reply = await a.panels.predictInPanel(snap, image);
    assert.ok(reply, 'a reply');
    assert.equal(reply.error, undefined, reply.error);
    assert.equal(reply.name, 'bag_train_0.jpg');
    const top = reply.outputs?.[0]?.top ?? [];
    assert.equal(top.length, 5, 'the five classes');
    assert.deepEqual(top.map((s) => s.class).sort(), ['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
    assert.ok(Math.abs(top.reduce((n, s) => n + s.probability, 0) - 1) < 1e-4, 'probabilities sum to 1');
    assert.deepEqual(a.panels.lastPrediction('ext_predict'), reply);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}, 240_000);
