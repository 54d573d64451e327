// Extension entry: language client, CodeLens, run commands, status bar, results panel.
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LanguageClient } from 'vscode-languageclient/node.js';
import { startLanguageClient } from './language-client.js';
import { GraftCodeLens } from './codelens.js';
import { RunStatusBar } from './status-bar.js';
import { RunController } from './runs/run-controller.js';
import { ResultsPanels, PANEL_VIEW_TYPE } from './panel/results-panel.js';
import { PlanView, PLAN_SCHEME } from './plan-view.js';
import { findDeclarations, type SpecDecl } from './spec-outline.js';
import { listExperiments, listRuns, loadRun } from './runs/run-history.js';
import { latestModelRun } from './runs/model-runs.js';
import { runPredict } from './runs/predict-process.js';
import { findNode } from './node-runtime.js';
import { PANEL_TOP } from './panel/predict-requests.js';
import { IMAGE_EXTENSIONS } from '../core/data/image-files.js';

/** What activate() returns: used by the extension-host tests. */
export interface GraftApi {
    runs: RunController;
    panels: ResultsPanels;
    client: Promise<LanguageClient | undefined>;
}

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): GraftApi {
    const status = new RunStatusBar();
    const runs = new RunController(context, status);
    const panels = new ResultsPanels(context, {
        runsRoot: (spec) => runs.runsRoot(spec),
        stop: (id) => void runs.stop(id),
        // "Run again" on a sweep's panel reruns the sweep (its name is declared as a sweep in the spec).
        rerun: (name, spec) => spec && void runs.run(vscode.Uri.file(spec), name, declaredKind(spec, name)),
        liveRun: (dir) => runs.find(dir),
        predict: async (model, file) => {
            // Like a run, prediction loads files and computes on this machine: trusted workspaces only.
            if (!vscode.workspace.isTrusted) throw new Error('prediction is disabled in this untrusted workspace; trust it to classify images');
            const cfg = vscode.workspace.getConfiguration('graft');
            const node = findNode(cfg.get<string>('nodePath') || undefined);
            const cli = context.asAbsolutePath(join('bin', 'graft.js'));
            return runPredict({ node: node.command, cli, cwd: dirname(model), backend: cfg.get<string>('backend', 'auto'), env: node.env }, model, [file], PANEL_TOP);
        }
    });
    runs.attachPanels(panels);
    const lenses = new GraftCodeLens((uri, name) => latestModelRun(runs.runsRoot(uri), name) !== undefined);
    const plans = new PlanView(context);

    context.subscriptions.push(
        status,
        runs,
        vscode.languages.registerCodeLensProvider({ language: 'graft' }, lenses),
        vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, plans),
        vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panels),
        vscode.workspace.onDidGrantWorkspaceTrust(() => lenses.refresh()),
        vscode.commands.registerCommand('graft.run', async (uri?: vscode.Uri, name?: string) => {
            const t = await pickTarget('experiment', uri, name);
            // A finished run may bring a model: the Predict… lens appears.
            return t && runs.run(t.uri, t.name, 'experiment').finally(() => lenses.refresh());
        }),
        vscode.commands.registerCommand('graft.predict', async (uri?: vscode.Uri, name?: string) => {
            const t = await pickTarget('experiment', uri, name);
            if (!t) return undefined;
            const runDir = latestModelRun(runs.runsRoot(t.uri), t.name);
            if (!runDir) {
                const run = '▶ Run';
                if ((await vscode.window.showInformationMessage(`Graft: ${t.name} has no completed run with a trained model in ${runs.runsRoot(t.uri)}.`, run)) === run) void runs.run(t.uri, t.name, 'experiment');
                return undefined;
            }
            const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Classify', title: `Classify an image with ${t.name} (${runDir.split(/[\\/]/).pop()})`, filters: { Images: [...IMAGE_EXTENSIONS].map((e) => e.slice(1)) } });
            if (!picked?.[0]) return undefined;
            return panels.predictInPanel(loadRun(runDir), picked[0].fsPath);
        }),
        vscode.commands.registerCommand('graft.runSweep', async (uri?: vscode.Uri, name?: string) => {
            const t = await pickTarget('sweep', uri, name);
            return t && runs.run(t.uri, t.name, 'sweep');
        }),
        vscode.commands.registerCommand('graft.plan', async (uri?: vscode.Uri, name?: string) => {
            const t = await pickTarget('experiment', uri, name);
            if (t) await plans.show(t.uri, t.name);
        }),
        vscode.commands.registerCommand('graft.showResults', async (uri?: vscode.Uri, name?: string, kind?: unknown) => {
            // A sweep's results are its table; its runs live under runs/<sweep>/ like an experiment's.
            const k: SpecDecl['kind'] = kind === 'sweep' ? 'sweep' : 'experiment';
            const t = await pickTarget(k, uri, name);
            if (!t) return;
            const live = runs.active.find((r) => r.experiment === t.name);
            if (live) return panels.showRun(live);
            const last = listRuns(runs.runsRoot(t.uri), t.name)[0];
            if (last) return panels.showRun(loadRun(last.runDir));
            const run = '▶ Run';
            if ((await vscode.window.showInformationMessage(`Graft: ${t.name} has no runs yet in ${runs.runsRoot(t.uri)}.`, run)) === run) void runs.run(t.uri, t.name, k);
        }),
        vscode.commands.registerCommand('graft.stopRun', (runId?: string) => runs.stop(typeof runId === 'string' ? runId : undefined)),
        vscode.commands.registerCommand('graft.compareRuns', () => compareRuns(runs, panels))
    );

    const clientReady = startLanguageClient(context).then(
        (c) => (client = c),
        (err: Error) => {
            void vscode.window.showErrorMessage(`Graft: the language server did not start: ${err.message}`);
            return undefined;
        }
    );
    return { runs, panels, client: clientReady };
}

export async function deactivate(): Promise<void> {
    await client?.stop();
}

/** The experiment/sweep a command is about: its arguments (CodeLens), else the active editor. */
async function pickTarget(kind: SpecDecl['kind'], uri?: vscode.Uri, name?: string): Promise<{ uri: vscode.Uri; name: string } | undefined> {
    if (uri instanceof vscode.Uri && typeof name === 'string') return { uri, name };
    const editor = vscode.window.activeTextEditor;
    const doc = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    if (!doc || doc.languageId !== 'graft') {
        void vscode.window.showWarningMessage(`Graft: open a .graft file to pick an ${kind}.`);
        return undefined;
    }
    const decls = findDeclarations(doc.getText()).filter((d) => d.kind === kind);
    if (!decls.length) {
        void vscode.window.showWarningMessage(`Graft: ${doc.uri.fsPath.split(/[\\/]/).pop()} declares no ${kind}.`);
        return undefined;
    }
    if (decls.length === 1) return { uri: doc.uri, name: decls[0]!.name };
    // The declaration around the cursor comes first.
    const line = editor?.document === doc ? editor.selection.active.line : 0;
    const here = [...decls].reverse().find((d) => d.line <= line);
    const items = decls.map((d) => ({ label: d.name, description: d === here ? 'at cursor' : `line ${d.line + 1}` }));
    if (here) items.unshift(items.splice(decls.indexOf(here), 1)[0]!);
    const pick = await vscode.window.showQuickPick(items, { placeHolder: `Which ${kind}?` });
    return pick && { uri: doc.uri, name: pick.label };
}

async function compareRuns(runs: RunController, panels: ResultsPanels): Promise<void> {
    const root = runs.runsRoot(vscode.window.activeTextEditor?.document.uri);
    type Item = vscode.QuickPickItem & { runDir?: string };
    const items: Item[] = [];
    for (const exp of listExperiments(root)) {
        const list = listRuns(root, exp);
        if (!list.length) continue;
        items.push({ label: exp, kind: vscode.QuickPickItemKind.Separator });
        for (const r of list) items.push({ label: r.runId, description: `${r.status}${r.headline ? ` · ${r.headline.name} ${(r.headline.value * 100).toFixed(1)}%` : ''}`, detail: r.runDir, runDir: r.runDir });
    }
    if (items.filter((i) => i.runDir).length < 2) {
        void vscode.window.showInformationMessage(`Graft: comparing needs at least two runs in ${root}.`);
        return;
    }
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: 'Pick two runs to compare (A, then B)' });
    if (!picked) return;
    const dirs = picked.map((p) => p.runDir).filter((d): d is string => !!d);
    if (dirs.length !== 2) {
        void vscode.window.showWarningMessage(`Graft: pick exactly two runs (you picked ${dirs.length}).`);
        return;
    }
    panels.showCompare(dirs[0]!, dirs[1]!);
}

/** Whether `name` is a sweep or an experiment in the spec file (an experiment when unreadable). */
function declaredKind(specFile: string, name: string): SpecDecl['kind'] {
    try {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === specFile)?.getText();
        return findDeclarations(open ?? readFileSync(specFile, 'utf8')).find((d) => d.name === name)?.kind ?? 'experiment';
    } catch {
        return 'experiment';
    }
}
