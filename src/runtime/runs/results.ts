// results.json: the summary of a run that people, the editor panel and dependent experiments read.

import type { BaselineKind, SpecLoc } from '../../core/plan/types.js';
import type { MetricValues } from '../eval/metrics.js';
import type { GainSpread, Spread } from '../eval/spread.js';
import type { RunStatus } from './events.js';
import type { StageResult } from '../train/trainer.js';
import type { MisclassifiedImage } from './misclassified-gallery.js';

export interface BaselineResult {
    stages: StageResult[];
    metrics: Record<string, MetricValues>;
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
    distributedBackend?: string | null;
    device?: string;
    samples?: Record<string, { total: number; perRank: unknown[] }>;
}

export interface RunResults {
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
    /** Per split (`val`, `test`, or an evaluation dataset's name): metric → value. */
    metrics: Record<string, MetricValues>;
    /**
     * Single-label runs: the most confident mistakes of each evaluated split (`test`, evaluation
     * datasets), most confident first, each split's in turn; thumbnails live in the run folder.
     */
    misclassified?: MisclassifiedImage[];
    /** `threshold`: the decision threshold per class of each multi-label head. */
    thresholds?: (number[] | undefined)[];
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
     * Multi-seed runs: the spread over seeds. `metrics`, `baselines` and `transferGain` above then
     * hold the means (scalars), and the first completed seed's details (confusion, per class, curves).
     */
    seeds?: SeedsSummary;
    /** Set by exported projects only (see EngineInfo); readers must not require it. */
    engine?: EngineInfo;
}
