// sweep.json: a sweep's table as the files say it, for tools (the editor panel, outside programs).
// Types only (and the version), so that readers can import them without the sweep runner.

import type { SweepPlan } from '../../core/plan/types.js';

export interface SweepTrialRecord {
    /** `t1`, `t2`, … in the order the sweep lists its values. */
    name: string;
    /** The swept parameters' values (`lr`, `batch`, …). */
    values: Record<string, number>;
    /** The trial run's status: `completed`, `failed` or `cancelled`. */
    status: string;
    /** The objective's value (its monitor on the trial's results); absent when the trial has none. */
    objective?: number;
    /** 1 = best by the objective. */
    rank?: number;
    /** The trial's run folder (absolute). */
    runDir?: string;
    seconds?: number;
    error?: string;
}

/** The shape of sweep.json this version writes (files without `schemaVersion` are version 0, the same shape). */
export const SWEEP_SCHEMA_VERSION = 1;

/**
 * sweep.json: what the files say, for tools (the editor panel). The contract for sweeps:
 * docs/schema/sweep.schema.json is generated from this type (`npm run schema`).
 */
export interface SweepRecord {
    schemaVersion: typeof SWEEP_SCHEMA_VERSION;
    sweep: string;
    experiment: string;
    objective: SweepPlan['objective'];
    status: 'running' | 'completed' | 'cancelled';
    /** Ranked best first; trials without an objective value (failed, cancelled) last, in trial order. */
    trials: SweepTrialRecord[];
    /** The name of the best trial, once one has an objective value. */
    best?: string;
    seconds: number;
}
