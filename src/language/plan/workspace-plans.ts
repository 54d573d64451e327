// The plans `graft plan` and `graft run` work on: the spec's workspace is every .graft file in the
// spec's folder (names are global across them), and the experiment is `--experiment NAME` or the
// only one the spec file declares.

import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WorkspaceInputError } from '../workspace/load-workspace.js';
import { blockingErrors, buildPlans, type PlanDiagnostic } from './build.js';
import type { SelectedPlan } from '../../core/plan/selection.js';
import { displayPath } from '../../core/display-path.js';

export type { SelectedPlan };

export function formatDiagnostic(d: PlanDiagnostic): string {
    return `${displayPath(d.file)}:${d.line}:${d.column}: ${d.severity}${d.code ? ` ${d.code}` : ''}: ${d.message}`;
}

/** Throws WorkspaceInputError (exit 2) for bad paths/names, or a PlanSelectionError (exit 1) listing blocking diagnostics. */
export class PlanSelectionError extends Error {}

export async function selectPlan(file: string, experiment?: string): Promise<SelectedPlan> {
    const specFile = resolve(file);
    if (!existsSync(specFile)) throw new WorkspaceInputError(`${file}: no such file`);
    if (statSync(specFile).isDirectory()) throw new WorkspaceInputError(`${file} is a folder; give the .graft file that declares the experiment`);
    const set = await buildPlans([dirname(specFile)]);
    const inFile = [...set.experiments.values()].filter((p) => p.at.file === specFile).map((p) => p.experiment);
    const errorsInFile = [...set.planErrors.entries()];
    let name = experiment;
    if (!name) {
        if (inFile.length === 1) name = inFile[0];
        else if (inFile.length === 0) throw new WorkspaceInputError(`${displayPath(specFile)} declares no experiment${errorsInFile.length ? ` that could be planned (${errorsInFile.map(([n, e]) => `${n}: ${e.message}`).join('; ')})` : ''}`);
        else throw new WorkspaceInputError(`${displayPath(specFile)} declares ${inFile.length} experiments (${inFile.join(', ')}); choose one with --experiment NAME`);
    }
    const plan = set.experiments.get(name);
    if (!plan) {
        const planError = set.planErrors.get(name);
        if (planError) {
            const where = planError.at ? `${displayPath(planError.at.file)}:${planError.at.line}:${planError.at.column}: ` : '';
            throw new PlanSelectionError(`${where}error: ${planError.message}`);
        }
        const known = [...set.experiments.keys()].sort();
        throw new WorkspaceInputError(`no experiment "${name}" in ${displayPath(dirname(specFile))} (experiments: ${known.join(', ') || 'none'})`);
    }
    const blocking = blockingErrors(set, plan);
    if (blocking.length) throw new PlanSelectionError(blocking.map(formatDiagnostic).join('\n'));
    for (const dep of plan.dependsOn) {
        if (!set.experiments.has(dep)) {
            const e = set.planErrors.get(dep);
            throw new PlanSelectionError(`experiment ${dep} (needed by ${name}) cannot be planned${e ? `: ${e.message}` : ''}`);
        }
    }
    const files = new Set([plan.at.file, plan.data.at.file]);
    return { specFile, plan, plans: set.experiments, warnings: set.diagnostics.filter((d) => d.severity === 'warning' && files.has(d.file)) };
}

/**
 * `selectPlan` for a CLI command: on a selection error (blocking diagnostics) prints it and
 * returns exit code 1; other errors propagate to the dispatcher.
 */
export async function selectPlanOrExit(file: string, experiment?: string): Promise<SelectedPlan | number> {
    try {
        return await selectPlan(file, experiment);
    } catch (err) {
        if (err instanceof PlanSelectionError) {
            console.error(err.message);
            return 1;
        }
        throw err;
    }
}
