// `Plan` lens: shows `graft plan <file> --experiment NAME` in a read-only editor beside the spec.
// The CLI runs in a child process like a run does (the extension host never loads the runtime).
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import { findNode } from './node-runtime.js';

export const PLAN_SCHEME = 'graft-plan';

export class PlanView implements vscode.TextDocumentContentProvider {
    private readonly texts = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;

    constructor(private readonly context: vscode.ExtensionContext) {}

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.texts.get(uri.toString()) ?? 'Computing the plan…';
    }

    async show(spec: vscode.Uri, experiment: string): Promise<void> {
        // Planning reads the spec's data folders and model files, so it is gated like a run.
        if (!vscode.workspace.isTrusted) {
            void vscode.window.showWarningMessage('Graft: planning is disabled in this untrusted workspace (it reads the data and model files the spec names). Trust the workspace to enable it.');
            return;
        }
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === spec.toString());
        if (doc?.isDirty) await doc.save();
        const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/${experiment}.plan.txt`, query: spec.toString() });
        const text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Graft: planning ${experiment}` }, () => this.compute(spec, experiment));
        this.texts.set(uri.toString(), text);
        this.changed.fire(uri);
        const shown = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
    }

    private compute(spec: vscode.Uri, experiment: string): Promise<string> {
        const node = findNode(vscode.workspace.getConfiguration('graft').get<string>('nodePath') || undefined);
        const cli = this.context.asAbsolutePath('bin/graft.js');
        const cwd = vscode.workspace.getWorkspaceFolder(spec)?.uri.fsPath ?? vscode.Uri.joinPath(spec, '..').fsPath;
        return new Promise((resolve) => {
            execFile(node.command, [cli, 'plan', spec.fsPath, '--experiment', experiment], { cwd, env: { ...process.env, ...node.env }, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
                if (err && !stdout) resolve(`graft plan failed for ${experiment}:\n\n${stderr || err.message}`);
                else resolve(stdout + (stderr ? `\n${stderr}` : ''));
            });
        });
    }
}
