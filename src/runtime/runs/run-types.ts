// What a run is given (the workspace, where runs go, how to report) and what it returns. Shared by
// the runner and its pieces (run record, dependencies, phases) so that none imports the runner.

import type { BaselineKind, ExperimentPlan } from '../../core/plan/types.js';
import type { BackboneContext } from '../train/backbone.js';
import type { PhaseState } from '../train/trainer.js';
import type { EventSink } from './event-sink.js';
import type { Phase, RunEvent } from './events.js';
import type { RunResults, StoredMetricValues } from './results.js';

export interface RunContext {
    /** Every plan of the workspace (dependencies are looked up here). */
    plans: Map<string, ExperimentPlan>;
    runsRoot: string;
    backend: string;
    /** Weights module hooks (model.json / URL / ImageNet). */
    backboneLoaders: Pick<BackboneContext, 'loadModelJson' | 'applyZooWeights'>;
    cancelled(): boolean;
    /** The run's cancellation, reaching its waits (downloads, decoding, feature caching, batches, evaluation). */
    signal?: AbortSignal;
}

export interface RunOptions {
    /** Print events as JSON lines on stdout. */
    events: boolean;
    resume: boolean;
    /** The run folder to use (one seed of a multi-seed run); default a new one under runs/<experiment>/. */
    runDir?: string;
    /** Extra listeners (the progress bar). */
    listeners?: ((e: RunEvent) => void)[];
}

export interface RunOutcome {
    status: 'completed' | 'failed' | 'cancelled';
    runDir: string;
    results: RunResults;
}

/**
 * A run inside another one, whose events it forwards: a dependency (its stages show under
 * `phase`, its logs prefixed with its name) or one seed of a multi-seed run (events tagged `seed`).
 */
export interface ParentRun {
    sink: EventSink;
    phase?: Phase;
    seed?: number;
}

/** state.json: where each phase of the run is, for `--resume`. */
export interface RunState {
    runId: string;
    main?: PhaseState;
    mainDone?: boolean;
    mainMetrics?: Record<string, StoredMetricValues>;
    thresholds?: (number[] | null)[];
    baselines?: Partial<Record<BaselineKind, PhaseState>>;
}
