// What "the plan of this spec" means to the runtime, without the runtime knowing how a spec is
// parsed: the language builds a SelectedPlan (src/language/plan/workspace-plans.ts) and the CLI
// hands the builder to runtime code that needs one (export, sweeps) as a function.
import type { ExperimentPlan } from './types.js';

/** A validation message of the spec's workspace, as plain data. */
export interface PlanDiagnostic {
    file: string;
    line: number;
    column: number;
    severity: 'error' | 'warning';
    code?: string;
    message: string;
}

export interface SelectedPlan {
    specFile: string;
    plan: ExperimentPlan;
    plans: Map<string, ExperimentPlan>;
    warnings: PlanDiagnostic[];
}

/** Builds the plan of `experiment` (or the only one) declared in `file`; throws on bad input. */
export type PlanSelector = (file: string, experiment?: string) => Promise<SelectedPlan>;
