// CodeLens above each experiment (▶ Run · Plan · Results, and Predict… once a run has a trained
// model) and sweep (▶ Run sweep · Results).
import * as vscode from 'vscode';
import { findDeclarations } from './spec-outline.js';

export class GraftCodeLens implements vscode.CodeLensProvider {
    private readonly changed = new vscode.EventEmitter<void>();
    readonly onDidChangeCodeLenses = this.changed.event;

    /** `predictable(spec, experiment)`: whether the experiment has a completed run with a model. */
    constructor(private readonly predictable?: (spec: vscode.Uri, experiment: string) => boolean) {}

    refresh(): void {
        this.changed.fire();
    }

    provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
        const lenses: vscode.CodeLens[] = [];
        for (const d of findDeclarations(doc.getText())) {
            const range = new vscode.Range(d.line, d.column, d.line, d.column);
            if (d.kind === 'experiment') {
                lenses.push(
                    new vscode.CodeLens(range, { title: '▶ Run', command: 'graft.run', arguments: [doc.uri, d.name], tooltip: `Train ${d.name} (graft run --experiment ${d.name})` }),
                    new vscode.CodeLens(range, { title: 'Plan', command: 'graft.plan', arguments: [doc.uri, d.name], tooltip: `Show the resolved plan of ${d.name}` }),
                    new vscode.CodeLens(range, { title: 'Results', command: 'graft.showResults', arguments: [doc.uri, d.name], tooltip: `Open the results of the last run of ${d.name}` })
                );
                if (this.predictable?.(doc.uri, d.name)) {
                    lenses.push(new vscode.CodeLens(range, { title: 'Predict…', command: 'graft.predict', arguments: [doc.uri, d.name], tooltip: `Classify images with the model of the last completed run of ${d.name} (graft predict)` }));
                }
            } else {
                lenses.push(
                    new vscode.CodeLens(range, { title: '▶ Run sweep', command: 'graft.runSweep', arguments: [doc.uri, d.name], tooltip: `Run every trial of ${d.name}${d.of ? ` (varies ${d.of})` : ''}` }),
                    // The sweep's table (runs/<sweep>/<id>/sweep.json) of its last run.
                    new vscode.CodeLens(range, { title: 'Results', command: 'graft.showResults', arguments: [doc.uri, d.name, 'sweep'], tooltip: `Open the results table of the last run of ${d.name}` })
                );
            }
        }
        return lenses;
    }
}
