// results.json: the summary of a run that people, the editor panel, dependent experiments and
// outside tools read. This type is the contract: the runtime writes it, the extension reads it, and
// docs/schema/results.schema.json is generated from it (`npm run schema`). A change to its shape
// raises RESULTS_SCHEMA_VERSION and adds a step to upgradeResults (results-upgrade.ts).

import type { BaselineKind, SpecLoc } from '../../core/plan/types.js';
import type { GainSpread, Spread } from '../eval/spread.js';
import type { RunStatus } from './events.js';
import type { StageResult } from '../train/trainer.js';
import type { MisclassifiedImage } from './misclassified-gallery.js';
import type { RunOwner } from './liveness.js';

/** The shape of results.json this version writes. Files without `schemaVersion` are version 0. */
export const RESULTS_SCHEMA_VERSION = 1;

/**
 * A metric as stored. JSON has no NaN: a metric that is undefined for the data (e.g. the AUC of a
 * class with no positive example) is computed as NaN and written as null.
 */
export type StoredNumber = number | null;

/** One split's metrics as stored: scalars by key (`accuracy`, `f1_macro`, `<head>_map`, …) and the `confusion` matrix (rows = true class). */
export type StoredMetricValues = Record<string, StoredNumber | number[][]>;

export interface BaselineResult {
    stages: StageResult[];
    metrics: Record<string, StoredMetricValues>;
}

/** `seeds`: each seed's run and the spread of every metric and gain over the completed ones. */
export interface SeedsSummary {
    values: number[];
    runs: { seed: number; runDir: string; status: RunStatus; error?: string }[];
    /** Per split, per scalar metric of the experiment. */
    metrics: Record<string, Record<string, Spread>>;
    baselines?: Partial<Record<BaselineKind, Record<string, Record<string, Spread>>>>;
    /** Per baseline: the per-seed gains (experiment − baseline of the same seed), with significance. */
    transferGain?: Partial<Record<BaselineKind, Record<string, Record<string, GainSpread>>>>;
}

/**
 * Runs trained by an exported project on another engine (`graft export`, docs/export.md): which
 * engine, how many processes, and how many samples each process saw. Absent = Graft's own run.
 */
export interface EngineInfo {
    /** e.g. `pytorch-ddp`. */
    name: string;
    version?: string;
    worldSize: number;
    /** Keras: the tf.distribute strategy (`mirrored`, `multi_worker_mirrored`). */
    distributed?: string;
    /** PyTorch: the collective backend (`gloo`), null with one process. */
    distributedBackend?: string | null;
    device?: string;
    /** Per split: samples in all, and per stage and epoch what each rank (PyTorch) or replica (Keras) trained on. */
    samples?: Record<string, { total: number; perRank?: unknown[]; perReplica?: unknown[] }>;
}

export interface RunResults {
    schemaVersion: typeof RESULTS_SCHEMA_VERSION;
    experiment: string;
    runId: string;
    status: RunStatus;
    backend: string;
    seed: number;
    specFile: string;
    started: string;
    finished?: string;
    seconds?: number;
    /** Class names per head, in output order. */
    classes: string[][];
    stages: StageResult[];
    /**
     * Per split (`val`, `test`, or an evaluation dataset's name): metric → value. A prototypes run
     * also has `episodes`: {accuracy, ci95, std, episodes}.
     */
    metrics: Record<string, StoredMetricValues>;
    /**
     * Single-label runs: the most confident mistakes of each evaluated split (`test`, evaluation
     * datasets), most confident first, each split's in turn; thumbnails live in the run folder.
     */
    misclassified?: MisclassifiedImage[];
    /** `threshold`: the decision threshold per class of each head (null for a single-label head). */
    thresholds?: (number[] | null)[];
    /** Each baseline the spec asks for, trained on the same data, splits and seed. */
    baselines?: Partial<Record<BaselineKind, BaselineResult>>;
    /**
     * Per baseline, per split: metric(main) − metric(baseline) for every scalar metric except the
     * loss. `scratch` is the transfer gain proper; `random_features` what the pretrained weights
     * give the frozen layout over random ones.
     */
    transferGain?: Partial<Record<BaselineKind, Record<string, Record<string, number>>>>;
    dependencies: { experiment: string; runDir: string; cached: boolean }[];
    /** Identifies what was trained (plan + data files): `backbone <experiment>` reuses a run only when it matches. */
    cacheKey: string;
    skipped: { origin: string; reason: string }[];
    error?: { message: string; at?: SpecLoc };
    /**
     * While `running`: the process writing the run (removed when the run ends). A reader that finds
     * `running` with a dead owner shows the run as interrupted (liveness.ts).
     */
    owner?: RunOwner;
    /**
     * Multi-seed runs: the spread over seeds. `metrics`, `baselines` and `transferGain` above then
     * hold the means (scalars), and the first completed seed's details (confusion, per class, curves).
     */
    seeds?: SeedsSummary;
    /** Set by exported projects only (see EngineInfo); readers must not require it. */
    engine?: EngineInfo;
}
