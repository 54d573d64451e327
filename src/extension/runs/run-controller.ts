// Starts, follows and stops runs for the editor: trust check, queue, one child process per run,
// events into the status bar and the results panel, failures into the Problems view (on the spec
// line the error names) and the "Graft" output channel.
import * as vscode from 'vscode';
import { isAbsolute, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { RunProcess } from './run-process.js';
import { RunQueue } from './run-queue.js';
import { applyEvent, emptySnapshot, type RunSnapshot } from './run-state.js';
import { latestSweepDir, readRunResults, readSweepResults } from './run-history.js';
import { gainPhrase } from './results-view.js';
import { findNode } from '../node-runtime.js';
import { findDeclarations } from '../spec-outline.js';
import type { RunStatusBar } from '../status-bar.js';
import type { ResultsPanels } from '../panel/results-panel.js';
import type { SpecLoc } from '../../core/plan/types.js';

interface LiveRun {
    id: string;
    snap: RunSnapshot;
    spec: vscode.Uri;
    target: string;
    kind: 'experiment' | 'sweep';
    proc?: RunProcess;
    start(): void;
    done: Promise<RunSnapshot>;
    resolve: (s: RunSnapshot) => void;
}

let counter = 0;

export class RunController implements vscode.Disposable {
    readonly output = vscode.window.createOutputChannel('Graft');
    readonly diagnostics = vscode.languages.createDiagnosticCollection('graft-run');
    private readonly live = new Map<string, LiveRun>();
    private readonly queue = new RunQueue<LiveRun>(() => vscode.workspace.getConfiguration('graft').get<number>('maxParallelRuns', 1));
    private panels?: ResultsPanels;

    constructor(
        private readonly context: vscode.ExtensionContext,
        private readonly status: RunStatusBar
    ) {}

    attachPanels(p: ResultsPanels): void {
        this.panels = p;
    }

    /** Absolute runs folder: graft.runsFolder, relative to the spec's workspace folder. */
    runsRoot(spec: vscode.Uri | string | undefined): string {
        const setting = vscode.workspace.getConfiguration('graft').get<string>('runsFolder', 'runs') || 'runs';
        if (isAbsolute(setting)) return setting;
        const uri = typeof spec === 'string' ? vscode.Uri.file(spec) : spec;
        const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
        const base = folder?.uri.fsPath ?? (uri ? join(uri.fsPath, '..') : process.cwd());
        return join(base, setting);
    }

    get active(): RunSnapshot[] {
        return [...this.live.values()].map((r) => r.snap);
    }

    find(runIdOrDir: string): RunSnapshot | undefined {
        for (const r of this.live.values()) if (r.id === runIdOrDir || r.snap.runId === runIdOrDir || r.snap.runDir === runIdOrDir) return r.snap;
        return undefined;
    }

    /** Starts (or queues) a run. Resolves with the final snapshot when it ends. */
    async run(spec: vscode.Uri, target: string, kind: 'experiment' | 'sweep'): Promise<RunSnapshot | undefined> {
        if (!vscode.workspace.isTrusted) {
            const manage = 'Manage Workspace Trust';
            const pick = await vscode.window.showWarningMessage(
                `Graft: runs are disabled in this untrusted workspace. A run loads the spec's data and model files and trains on this machine; trust the workspace to enable runs.`,
                manage
            );
            if (pick === manage) void vscode.commands.executeCommand('workbench.trust.manage');
            return undefined;
        }
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === spec.toString());
        if (doc?.isDirty) await doc.save();
        for (const r of this.live.values()) {
            if (r.target === target && r.spec.toString() === spec.toString()) {
                void vscode.window.showInformationMessage(`Graft: ${target} is already ${r.snap.status === 'queued' ? 'queued' : 'running'}.`);
                this.panels?.showRun(r.snap);
                return r.done;
            }
        }
        this.diagnostics.delete(spec);
        const id = `run-${Date.now()}-${++counter}`;
        const snap = emptySnapshot(id, target, spec.fsPath);
        if (kind === 'sweep') snap.sweep = target;
        let resolveDone!: (s: RunSnapshot) => void;
        const done = new Promise<RunSnapshot>((r) => (resolveDone = r));
        const live: LiveRun = { id, snap, spec, target, kind, start: () => this.startProcess(live), done, resolve: (s) => resolveDone(s) };
        this.live.set(id, live);
        const state = this.queue.submit(live);
        if (state === 'queued') {
            this.output.appendLine(`[${new Date().toLocaleTimeString()}] ${target}: queued (graft.maxParallelRuns = ${vscode.workspace.getConfiguration('graft').get('maxParallelRuns', 1)})`);
            void vscode.window.showInformationMessage(`Graft: ${target} is queued; it starts when the current run ends.`);
        }
        this.panels?.showRun(snap);
        this.refreshStatus();
        return live.done;
    }

    private startProcess(live: LiveRun): void {
        const cfg = vscode.workspace.getConfiguration('graft');
        const node = findNode(cfg.get<string>('nodePath') || undefined);
        const folder = vscode.workspace.getWorkspaceFolder(live.spec);
        const cwd = folder?.uri.fsPath ?? join(live.spec.fsPath, '..');
        const runsRoot = this.runsRoot(live.spec);
        live.snap.status = 'running';
        live.snap.startedAt = new Date().toISOString();
        const cli = this.context.asAbsolutePath(join('bin', 'graft.js'));
        this.output.appendLine(`[${new Date().toLocaleTimeString()}] graft run ${live.spec.fsPath} --experiment ${live.target} --events --runs-dir ${runsRoot}`);
        const proc = new RunProcess(
            { node: node.command, cli, specFile: live.spec.fsPath, target: live.target, cwd, backend: cfg.get<string>('backend', 'auto'), runsDir: runsRoot, env: node.env },
            {
                onEvent: (e) => {
                    applyEvent(live.snap, e);
                    // A sweep's trials each end with run-end; the sweep itself goes on until the
                    // process exits. Show its table so far (sweep.json is rewritten after each trial).
                    if (live.kind === 'sweep' && e.type === 'run-end') {
                        live.snap.status = 'running';
                        // A failed trial is a row of the sweep's table, not the sweep's failure.
                        if (live.snap.error) live.snap.logs.push({ level: 'warning', message: `trial ${live.snap.trial?.index ?? ''} failed: ${live.snap.error.message}`, at: live.snap.error.at });
                        live.snap.error = undefined;
                        this.attachSweep(live, runsRoot);
                    }
                    if (e.type === 'log') this.output.appendLine(`${e.level}: ${e.message}${e.at ? ` (${e.at.file}:${e.at.line})` : ''}`);
                    if (e.type === 'epoch') this.output.appendLine(`${live.target} ${e.phase} ${e.stage} epoch ${e.epoch}/${e.epochs}: ${Object.entries(e.metrics).map(([k, v]) => `${k}=${v === null ? 'NaN' : v.toFixed(4)}`).join(' ')} (${e.seconds.toFixed(1)} s)`);
                    if (e.type === 'run-start') this.output.appendLine(`run ${e.runId} → ${e.runDir} (backend ${e.backend})`);
                    this.panels?.update(live.snap);
                    this.refreshStatus();
                },
                onText: (text) => this.output.append(text.endsWith('\n') ? text : text + '\n'),
                onExit: (info) => this.finish(live, info)
            }
        );
        live.proc = proc;
        proc.start();
        this.refreshStatus();
    }

    private finish(live: LiveRun, info: { code: number | null; signal: NodeJS.Signals | null; stopped: boolean; killed: boolean; ended?: unknown; stderrTail: string }): void {
        const s = live.snap;
        if (live.kind === 'sweep') {
            // The sweep's own folder (runs/<sweep>/<id>/sweep.json) has the table and the final status;
            // run events only ever name the trials' run folders. Exit 0 = the sweep completed (even
            // when some trials failed: their rows say so); otherwise the generic handling below.
            const st = this.attachSweep(live, this.runsRoot(live.spec));
            if (st && info.code === 0 && !info.stopped) {
                s.status = 'completed';
                s.error = undefined;
            } else if (info.stopped) s.status = 'cancelled';
        }
        if (s.status === 'running' || s.status === 'queued') {
            // The process ended without a run-end event: a crash, a usage error, or a missing build.
            s.status = info.stopped ? 'cancelled' : 'failed';
            if (!info.stopped) s.error = { message: lastLines(info.stderrTail) || `graft exited with code ${info.code ?? info.signal}` };
        }
        if (live.kind !== 'sweep' && s.runDir) {
            const resultsFile = s.resultsPath && existsSync(s.resultsPath) ? s.resultsPath : join(s.runDir, 'results.json');
            const results = readRunResults(s.runDir, resultsFile);
            if (results) {
                s.results = results;
                s.resultsPath = resultsFile;
            }
        }
        this.output.appendLine(`[${new Date().toLocaleTimeString()}] ${live.target}: ${s.status}${info.killed ? ' (killed after the grace period)' : ''}`);
        if (s.status === 'failed') this.reportFailure(live);
        if (s.status === 'completed') this.reportSuccess(live);
        this.live.delete(live.id);
        this.queue.done(live.id);
        this.panels?.update(s);
        this.refreshStatus();
        live.resolve(s);
    }

    /** Puts the newest sweep.json of this sweep run into the snapshot; returns the sweep's status there. */
    private attachSweep(live: LiveRun, runsRoot: string): string | undefined {
        const since = Date.parse(live.snap.startedAt ?? '');
        // a little slack: the folder's clock and ours are the same machine, but mtimes are coarse
        const dir = latestSweepDir(runsRoot, live.target, Number.isFinite(since) ? since - 2000 : undefined);
        const results = dir ? readSweepResults(dir) : undefined;
        if (!dir || !results) return undefined;
        live.snap.runDir = dir;
        live.snap.results = results;
        live.snap.resultsPath = join(dir, 'sweep.json');
        return results.status;
    }

    private reportFailure(live: LiveRun): void {
        const s = live.snap;
        const message = s.error?.message ?? 'the run failed';
        const at: SpecLoc | undefined = s.error?.at ?? s.logs.filter((l) => l.level === 'error' && l.at).at(-1)?.at;
        const fileUri = at ? vscode.Uri.file(at.file) : live.spec;
        let range: vscode.Range;
        if (at) {
            range = new vscode.Range(Math.max(0, at.line - 1), Math.max(0, at.column - 1), Math.max(0, at.line - 1), Number.MAX_SAFE_INTEGER);
        } else {
            // No location: put it on the experiment's declaration so it is still next to the cause.
            const text = vscode.workspace.textDocuments.find((d) => d.uri.toString() === live.spec.toString())?.getText() ?? safeRead(live.spec.fsPath);
            const decl = findDeclarations(text).find((d) => d.name === live.target);
            range = new vscode.Range(decl?.line ?? 0, decl?.column ?? 0, decl?.line ?? 0, Number.MAX_SAFE_INTEGER);
        }
        const diag = new vscode.Diagnostic(range, `Run of ${live.target} failed: ${message}`, vscode.DiagnosticSeverity.Error);
        diag.source = 'graft run';
        this.diagnostics.set(fileUri, [...(this.diagnostics.get(fileUri) ?? []), diag]);
        const show = 'Show Log';
        void vscode.window.showErrorMessage(`Graft: ${live.target} failed: ${message}`, show).then((p) => p === show && this.output.show(true));
    }

    private reportSuccess(live: LiveRun): void {
        const r = live.snap.results;
        const acc = r?.metrics.test?.accuracy;
        const ep = r?.episodes;
        const gain = r?.transferGain;
        const best = r?.sweep?.trials.find((t) => t.best);
        if (r?.sweep) {
            const show = 'Show Results';
            const vals = best ? Object.entries(best.params).map(([k, v]) => `${k} ${v}`).join(', ') : '';
            const text = best
                ? `Graft: sweep ${live.target} completed: best trial ${best.name ?? ''} (${vals}), ${r.sweep.objective?.monitor ?? 'objective'} ${best.value !== undefined ? best.value.toFixed(4) : '–'}.`
                : `Graft: sweep ${live.target} completed, but no trial produced the objective.`;
            void vscode.window.showInformationMessage(text, show).then((p) => p === show && this.panels?.showRun(live.snap));
            return;
        }
        const parts = [acc !== undefined ? `test accuracy ${(acc * 100).toFixed(1)}%` : undefined, ep ? `episode accuracy ${(ep.accuracy * 100).toFixed(1)}%${ep.ci95 !== undefined ? ` ± ${(ep.ci95 * 100).toFixed(1)}%` : ''}` : undefined, gain ? gainPhrase(gain) : undefined].filter(Boolean);
        const show = 'Show Results';
        const text = `Graft: ${live.target} completed${parts.length ? `: ${parts.join(', ')}` : ''}.`;
        // Negative transfer is worth interrupting for: the pretrained backbone made things worse.
        const negative = gain !== undefined && gain.value < 0 && gain.against !== 'random_features' && gain.significant !== false;
        const shown = negative ? vscode.window.showWarningMessage(`${text} Negative transfer: training every layer from scratch did better.`, show) : vscode.window.showInformationMessage(text, show);
        void shown.then((p) => p === show && this.panels?.showRun(live.snap));
    }

    /** Stops a run (or removes it from the queue). Without an id: the only run, or a pick. */
    async stop(runId?: string): Promise<void> {
        let live = runId ? [...this.live.values()].find((r) => r.id === runId || r.snap.runId === runId) : undefined;
        if (!live) {
            const all = [...this.live.values()];
            if (!all.length) {
                void vscode.window.showInformationMessage('Graft: no run is in progress.');
                return;
            }
            if (all.length === 1) live = all[0];
            else {
                const pick = await vscode.window.showQuickPick(all.map((r) => ({ label: r.target, description: r.snap.status, id: r.id })), { placeHolder: 'Stop which run?' });
                live = pick && this.live.get(pick.id);
            }
        }
        if (!live) return;
        if (this.queue.cancelQueued(live.id)) {
            live.snap.status = 'cancelled';
            this.live.delete(live.id);
            this.panels?.update(live.snap);
            this.refreshStatus();
            live.resolve(live.snap);
            return;
        }
        this.output.appendLine(`[${new Date().toLocaleTimeString()}] ${live.target}: stopping`);
        live.proc?.stop();
    }

    private refreshStatus(): void {
        const running = [...this.live.values()].filter((r) => r.snap.status === 'running').map((r) => r.snap);
        const queued = [...this.live.values()].filter((r) => r.snap.status === 'queued').length;
        this.status.show(running, queued);
        void vscode.commands.executeCommand('setContext', 'graft.running', running.length > 0);
    }

    dispose(): void {
        for (const r of this.live.values()) r.proc?.stop();
        this.output.dispose();
        this.diagnostics.dispose();
    }
}

function lastLines(text: string, n = 6): string {
    return text.trim().split('\n').slice(-n).join('\n');
}

function safeRead(file: string): string {
    try {
        return readFileSync(file, 'utf8');
    } catch {
        return '';
    }
}

