// The status-bar item: which experiment is training, its epoch and a live metric. Click stops it.
import * as vscode from 'vscode';
import { headlineMetric, type RunSnapshot } from './runs/run-state.js';

export class RunStatusBar implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem('graft.run', vscode.StatusBarAlignment.Left, 50);

    constructor() {
        this.item.name = 'Graft run';
        this.item.command = 'graft.stopRun';
    }

    show(running: RunSnapshot[], queued: number): void {
        const run = running[0];
        if (!run) {
            this.item.hide();
            return;
        }
        const parts = [`$(sync~spin) ${run.experiment}`];
        const c = run.current;
        if (c) parts.push(`${c.seed !== undefined ? `seed ${c.seed} ` : ''}${c.phase === 'main' ? '' : c.phase.startsWith('baseline') ? `${c.phase.replace(':', ' ')} ` : `${c.phase.replace('dependency:', '')} `}epoch ${c.epoch}/${c.epochs}`);
        else parts.push(run.status === 'queued' ? 'queued' : 'starting');
        const m = headlineMetric(run.lastMetrics);
        if (m) parts.push(`${m.name} ${/loss/.test(m.name) ? m.value.toFixed(4) : `${(m.value * 100).toFixed(1)}%`}`);
        const more = running.length - 1 + queued;
        this.item.text = parts.join(' · ') + (more > 0 ? ` (+${more})` : '');
        this.item.tooltip = new vscode.MarkdownString(`**Graft** — training \`${run.experiment}\`${run.backend ? ` on ${run.backend}` : ''}\n\n${run.eta !== undefined ? `About ${Math.round(run.eta)} s left. ` : ''}Click to stop the run.`);
        this.item.show();
    }

    dispose(): void {
        this.item.dispose();
    }
}
