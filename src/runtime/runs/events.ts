// Run events: what `graft run --events` prints, one JSON object per line, and what a run folder's
// events.ndjson holds. The editor panel consumes exactly these; docs/events.md documents them.
// Every event carries `type`, `schemaVersion`, `time` (ISO string) and `runId`. These types are the
// contract: docs/schema/events.schema.json is generated from RunEvent (`npm run schema`), and a
// change to an event's shape raises EVENTS_SCHEMA_VERSION.

import type { BaselineKind, SpecLoc } from '../../core/plan/types.js';

/**
 * Which training a stage/epoch event belongs to: the experiment itself, one of its baselines
 * (`baseline:scratch`, `baseline:random_features`), or a dependency. Run folders written before
 * baselines had kinds say `baseline`: the frozen layout over random weights, i.e. random_features.
 */
export type Phase = 'main' | `baseline:${BaselineKind}` | 'baseline' | `dependency:${string}`;

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** The shape of the events this version writes. Lines without `schemaVersion` are version 0 (the same events, unversioned). */
export const EVENTS_SCHEMA_VERSION = 1;

interface EventBase {
    /** On every line, so that a line read alone (a dependency's events.ndjson, a torn file) still says its version. */
    schemaVersion: typeof EVENTS_SCHEMA_VERSION;
    time: string;
    runId: string;
}

export interface RunStartEvent extends EventBase {
    type: 'run-start';
    experiment: string;
    runDir: string;
    specFile: string;
    backend: string;
    seed: number;
    classes: string[];
    /** Stages in order with their epoch budget, for progress and ETA (each seed's, with `seeds`). */
    stages: { phase: Phase; name: string; epochs: number; seed?: number }[];
    /** `seeds`: the seeds the run repeats the experiment with, in order. */
    seeds?: number[];
    resumed?: boolean;
}

export interface StageStartEvent extends EventBase {
    type: 'stage-start';
    phase: Phase;
    stage: string;
    index: number;
    epochs: number;
    trainableParams: number;
    /** Which seed of a multi-seed run (absent for a single seed). */
    seed?: number;
}

export interface EpochEvent extends EventBase {
    type: 'epoch';
    phase: Phase;
    stage: string;
    /** 1-based within the stage. */
    epoch: number;
    epochs: number;
    /** `loss`, `accuracy`, ... on train; `val_loss`, `val_accuracy`, ... on val. NaN (e.g. `val_auc` with no positive example) is null. */
    metrics: Record<string, number | null>;
    lr: number;
    seconds: number;
    /** Estimated seconds left for the whole run. */
    eta?: number;
    seed?: number;
}

export interface CheckpointEvent extends EventBase {
    type: 'checkpoint';
    phase: Phase;
    stage: string;
    epoch: number;
    monitor: string;
    value: number;
    path: string;
    seed?: number;
}

export interface LogEvent extends EventBase {
    type: 'log';
    level: 'info' | 'warning' | 'error';
    message: string;
    at?: SpecLoc;
}

export interface RunEndEvent extends EventBase {
    type: 'run-end';
    status: Exclude<RunStatus, 'running'>;
    /** Path of results.json. */
    results?: string;
    error?: { message: string; at?: SpecLoc };
    seconds: number;
}

export type RunEvent = RunStartEvent | StageStartEvent | EpochEvent | CheckpointEvent | LogEvent | RunEndEvent;
