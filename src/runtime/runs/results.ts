// results.json: the summary of a run that people, the editor panel and dependent experiments read.

import type { SpecLoc } from '../plan/types.js';
import type { MetricValues } from '../eval/metrics.js';
import type { RunStatus } from './events.js';
import type { StageResult } from '../train/trainer.js';
import type { MisclassifiedImage } from './misclassified-gallery.js';

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
    baseline?: { stages: StageResult[]; metrics: Record<string, MetricValues> };
    /** Per split: metric(main) − metric(baseline) for every scalar metric except the loss. */
    transferGain?: Record<string, Record<string, number>>;
    dependencies: { experiment: string; runDir: string; cached: boolean }[];
    /** Identifies what was trained (plan + data files): `backbone <experiment>` reuses a run only when it matches. */
    cacheKey: string;
    skipped: { origin: string; reason: string }[];
    error?: { message: string; at?: SpecLoc };
}
