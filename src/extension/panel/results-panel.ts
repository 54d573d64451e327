// Hosts the results panel: a webview beside the spec, one per experiment (or per comparison).
// Live runs push snapshots (throttled); finished runs are read from their folders; the serializer
// reopens a panel after a restart from the run folders it showed.
import * as vscode from 'vscode';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { panelHtml } from './html.js';
import type { FromWebview, PanelState, PersistedState, PredictionReply, StateMessage } from './protocol.js';
import { PredictRequests } from './predict-requests.js';
import type { PredictJson } from '../runs/predict-process.js';
import { IMAGE_EXTENSIONS } from '../../core/data/image-files.js';
import type { RunSnapshot } from '../runs/run-state.js';
import { listRuns, loadRun } from '../runs/run-history.js';
import { lineDiff } from '../runs/line-diff.js';

export const PANEL_VIEW_TYPE = 'graft.results';

export interface PanelHost {
    /** Absolute runs folder for a spec file (from the graft.runsFolder setting). */
    runsRoot(specFile: string | undefined): string;
    stop(runId: string): void;
    rerun(experiment: string, specFile: string | undefined): void;
    /** A live run's current snapshot, when that run is still in this session. */
    liveRun(runDir: string): RunSnapshot | undefined;
    /** Runs `graft predict <model> <file>` (the "Try the model" box); absent = no box. */
    predict?(model: string, file: string): Promise<PredictJson>;
}

interface PanelEntry {
    panel: vscode.WebviewPanel;
    key: string;
    persist: PersistedState;
    last?: StateMessage;
    timer?: NodeJS.Timeout;
    pending?: () => StateMessage;
    lastSent: number;
}

const THROTTLE_MS = 250;

export class ResultsPanels implements vscode.WebviewPanelSerializer<PersistedState> {
    private readonly panels = new Map<string, PanelEntry>();
    private readonly predictions?: PredictRequests;
    /** The last prediction reply per experiment's panel, for tests. */
    private readonly lastReplies = new Map<string, PredictionReply>();

    constructor(
        private readonly context: vscode.ExtensionContext,
        private readonly host: PanelHost
    ) {
        const predict = host.predict?.bind(host);
        if (predict) this.predictions = new PredictRequests({ predict });
    }

    /** Shows (or refreshes) the panel of a run. */
    showRun(snap: RunSnapshot, reveal = true): void {
        const key = `run:${snap.experiment}`;
        const entry = this.panels.get(key) ?? this.create(key, `Graft: ${snap.experiment}`);
        if (reveal) entry.panel.reveal(entry.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
        this.post(entry, () => this.runMessage(entry, snap));
    }

    /** Called for every live event; the panel only re-renders a few times a second. */
    update(snap: RunSnapshot): void {
        const entry = this.panels.get(`run:${snap.experiment}`);
        if (!entry) return;
        // A panel showing an older run of the same experiment switches to the live one.
        this.post(entry, () => this.runMessage(entry, snap));
    }

    showCompare(aDir: string, bDir: string): void {
        const key = `compare:${aDir}|${bDir}`;
        const entry = this.panels.get(key) ?? this.create(key, 'Graft: compare runs');
        entry.panel.reveal(entry.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
        this.post(entry, () => this.compareMessage(entry, aDir, bDir));
    }

    isOpen(experiment: string): boolean {
        return this.panels.has(`run:${experiment}`);
    }

    /** The state last sent to a run panel, for tests. */
    lastState(experiment: string): PanelState | undefined {
        return this.panels.get(`run:${experiment}`)?.last?.state;
    }

    /** The last prediction shown in an experiment's panel, for tests. */
    lastPrediction(experiment: string): PredictionReply | undefined {
        return this.lastReplies.get(`run:${experiment}`);
    }

    /** Classifies `file` with the run `snap` shows, in that run's panel (the "Predict…" CodeLens). */
    async predictInPanel(snap: RunSnapshot, file: string): Promise<PredictionReply | undefined> {
        if (!this.predictions || !snap.runDir) return undefined;
        this.showRun(snap);
        const entry = this.panels.get(`run:${snap.experiment}`)!;
        const reply = await this.predictions.fromFile(0, snap.runDir, file);
        this.sendReply(entry, reply);
        return reply;
    }

    /** The state last sent to a comparison panel, for tests. */
    lastCompareState(aDir: string, bDir: string): PanelState | undefined {
        return this.panels.get(`compare:${aDir}|${bDir}`)?.last?.state;
    }

    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PersistedState | undefined): Promise<void> {
        const dirs = (state?.runDirs ?? []).filter((d) => typeof d === 'string' && existsSync(d));
        if (dirs.length === 2) {
            const entry = this.adopt(panel, `compare:${dirs[0]}|${dirs[1]}`);
            this.post(entry, () => this.compareMessage(entry, dirs[0]!, dirs[1]!));
            return;
        }
        if (dirs.length === 1) {
            const snap = this.host.liveRun(dirs[0]!) ?? loadRun(dirs[0]!);
            const entry = this.adopt(panel, `run:${snap.experiment}`);
            this.post(entry, () => this.runMessage(entry, snap));
            return;
        }
        // The run folder is gone (deleted, or another machine): say so rather than show a blank panel.
        this.configure(panel);
        panel.webview.html = panelHtml(this.shell(panel)).replace('Loading results…', 'The run folder this panel showed no longer exists.');
    }

    private create(key: string, title: string): PanelEntry {
        const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: this.roots() });
        return this.adopt(panel, key);
    }

    private roots(): vscode.Uri[] {
        const roots = [vscode.Uri.joinPath(this.context.extensionUri, 'out', 'bundle')];
        for (const f of vscode.workspace.workspaceFolders ?? []) roots.push(f.uri);
        const runs = this.host.runsRoot(undefined);
        if (runs) roots.push(vscode.Uri.file(runs));
        return roots;
    }

    private shell(panel: vscode.WebviewPanel) {
        const bundle = vscode.Uri.joinPath(this.context.extensionUri, 'out', 'bundle');
        return {
            cspSource: panel.webview.cspSource,
            scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'panel.js')).toString(),
            styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'panel.css')).toString(),
            title: panel.title
        };
    }

    private configure(panel: vscode.WebviewPanel): void {
        panel.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
    }

    private adopt(panel: vscode.WebviewPanel, key: string): PanelEntry {
        this.configure(panel);
        const entry: PanelEntry = { panel, key, persist: { runDirs: [] }, lastSent: 0 };
        this.panels.set(key, entry);
        panel.webview.html = panelHtml(this.shell(panel));
        panel.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(entry, m));
        panel.onDidDispose(() => {
            clearTimeout(entry.timer);
            if (this.panels.get(key) === entry) this.panels.delete(key);
        });
        return entry;
    }

    private sendReply(entry: PanelEntry, reply: PredictionReply): void {
        this.lastReplies.set(entry.key, reply);
        void entry.panel.webview.postMessage(reply);
    }

    /** A prediction request from the webview: only for the run this panel shows. */
    private async predictFromWebview(entry: PanelEntry, m: Extract<FromWebview, { type: 'predictImage' | 'predictFiles' }>): Promise<void> {
        const requests = this.predictions;
        const runDir = entry.persist.runDirs[0];
        if (!requests) return;
        const refuse = (error: string) => this.sendReply(entry, { type: 'prediction', requestId: m.requestId, runDir: m.runDir, name: '', error });
        if (!runDir || m.runDir !== runDir) return refuse('this panel no longer shows that run; drop the image again');
        if (m.type === 'predictImage') return this.sendReply(entry, await requests.fromBytes(m.requestId, runDir, m.name, m.data));
        let file: string | undefined;
        if (m.uris?.length) {
            const uri = vscode.Uri.parse(m.uris[0]!);
            if (uri.scheme !== 'file') return refuse(`only files on this machine can be classified (got ${uri.scheme}:)`);
            file = uri.fsPath;
        } else {
            const picked = await vscode.window.showOpenDialog({
                canSelectMany: false,
                openLabel: 'Classify',
                filters: { Images: [...IMAGE_EXTENSIONS].map((e) => e.slice(1)) }
            });
            file = picked?.[0]?.fsPath;
            if (!file) return;
        }
        this.sendReply(entry, await requests.fromFile(m.requestId, runDir, file));
    }

    /** Sends at most every THROTTLE_MS; the newest state wins. */
    private post(entry: PanelEntry, make: () => StateMessage): void {
        entry.pending = make;
        if (entry.timer) return;
        const wait = Math.max(0, entry.lastSent + THROTTLE_MS - Date.now());
        entry.timer = setTimeout(() => {
            entry.timer = undefined;
            const f = entry.pending;
            entry.pending = undefined;
            if (!f) return;
            const msg = f();
            entry.last = msg;
            entry.persist = msg.persist;
            entry.lastSent = Date.now();
            void entry.panel.webview.postMessage(msg);
        }, wait);
    }

    private runMessage(entry: PanelEntry, snap: RunSnapshot): StateMessage {
        const history = listRuns(this.host.runsRoot(snap.specFile), snap.experiment);
        const images: Record<string, string> = {};
        for (const m of snap.results?.misclassified ?? []) {
            if (!m.image.startsWith('data:')) images[m.image] = entry.panel.webview.asWebviewUri(vscode.Uri.file(m.image)).toString();
        }
        const canPredict = !!this.predictions && snap.status === 'completed' && !!snap.runDir && existsSync(join(snap.runDir, 'model', 'model.json'));
        return { type: 'state', state: { view: 'run', run: snap, history, images, ...(canPredict ? { canPredict } : {}) }, persist: { runDirs: snap.runDir ? [snap.runDir] : [], experiment: snap.experiment, specFile: snap.specFile } };
    }

    private compareMessage(_entry: PanelEntry, aDir: string, bDir: string): StateMessage {
        const a = this.host.liveRun(aDir) ?? loadRun(aDir);
        const b = this.host.liveRun(bDir) ?? loadRun(bDir);
        const spec = (d: string) => {
            try {
                return readFileSync(join(d, 'spec.graft'), 'utf8');
            } catch {
                return '';
            }
        };
        return { type: 'state', state: { view: 'compare', a, b, specDiff: lineDiff(spec(aDir), spec(bDir)) }, persist: { runDirs: [aDir, bDir] } };
    }

    private onMessage(entry: PanelEntry, m: FromWebview): void {
        switch (m.type) {
            case 'ready':
                // The webview (re)loaded: send it the newest state again.
                if (entry.last) void entry.panel.webview.postMessage(entry.last);
                // A prediction the editor started may have arrived before the webview was listening.
                {
                    const reply = this.lastReplies.get(entry.key);
                    if (reply && reply.runDir === entry.persist.runDirs[0]) void entry.panel.webview.postMessage(reply);
                }
                break;
            case 'stop':
                this.host.stop(m.runId);
                break;
            case 'openRun': {
                const snap = this.host.liveRun(m.runDir) ?? loadRun(m.runDir);
                this.post(entry, () => this.runMessage(entry, snap));
                break;
            }
            case 'compare':
                this.showCompare(m.runDirs[0], m.runDirs[1]);
                break;
            case 'compareWith': {
                const current = entry.persist.runDirs[0];
                if (current && current !== m.runDir) this.showCompare(m.runDir, current);
                break;
            }
            case 'openSpecDiff': {
                const [a, b] = m.runDirs.map((d) => vscode.Uri.file(join(d, 'spec.graft')));
                void vscode.commands.executeCommand('vscode.diff', a, b, `spec: ${shortRun(m.runDirs[0])} ↔ ${shortRun(m.runDirs[1])}`);
                break;
            }
            case 'reveal': {
                const line = Math.max(0, m.line - 1);
                void vscode.window.showTextDocument(vscode.Uri.file(m.file), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(line, 0, line, 0) });
                break;
            }
            case 'rerun':
                if (entry.persist.experiment) this.host.rerun(entry.persist.experiment, entry.persist.specFile);
                break;
            case 'predictImage':
            case 'predictFiles':
                void this.predictFromWebview(entry, m);
                break;
        }
    }
}

function shortRun(dir: string): string {
    return `${dirname(dir).split(/[\\/]/).pop()}/${dir.split(/[\\/]/).pop()}`;
}
