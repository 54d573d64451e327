// The experiment plan: plain, JSON-serialisable data with every default resolved.
// It is the seam between the language (which builds it from the AST) and the runtime (which
// consumes nothing else). No Langium types may appear here.

import type { BackboneDescription } from '../zoo/catalog-types.js';
import type { ZooArch } from '../zoo/arch-names.js';

/** Where a plan element came from in the spec, so runtime errors can name the line. */
export interface SpecLoc {
    /** Absolute path of the .graft file. */
    file: string;
    /** 1-based line. */
    line: number;
    /** 1-based column. */
    column: number;
}

export type SplitName = 'train' | 'val' | 'test';
export type { Task } from './task.js';
import type { Task } from './task.js';
export type Normalize = 'unit' | 'symmetric' | 'imagenet' | 'none';

export type SourcePlan =
    | { kind: 'folder'; dir: string; splits?: string[] }
    | { kind: 'csv'; file: string; images: string }
    | { kind: 'idx'; dir: string }
    | { kind: 'mnist' };

export interface AugmentPlan {
    flip?: 'horizontal' | 'vertical' | 'both';
    /** Max rotation in degrees. */
    rotate?: number;
    /** Max relative zoom, e.g. 0.1 = ±10 %. */
    zoom?: number;
    /** Max shift as a fraction of width/height. */
    shift?: number;
    brightness?: number;
    contrast?: number;
    /** Random crop: fraction of each side that may be cut, then resized back. */
    crop?: number;
    /** Std-dev of Gaussian noise, in normalised units. */
    noise?: number;
}

export interface DatasetPlan {
    name: string;
    at: SpecLoc;
    source: SourcePlan;
    task: Task;
    /** Explicit class list in order (`classes` statement); undefined = all, sorted. */
    classes?: string[];
    image: { height: number; width: number; channels: 1 | 3 };
    normalize: Normalize;
    /** Fractions summing to 1; undefined when the dataset has no split statement (all data is one pool). */
    split?: Partial<Record<SplitName, number>>;
    stratified: boolean;
    shots?: number;
    augment: AugmentPlan;
    balance: 'none' | 'class_weights' | 'oversample';
}

export type WeightsPlan =
    | { kind: 'none' }
    | { kind: 'imagenet' }
    /** A tfjs layers model.json: absolute path or http(s) URL. */
    | { kind: 'model_json'; location: string; sha256?: string };

export type BackbonePlan = (
    | { kind: 'zoo'; arch: ZooArch; alpha?: number; filters?: number[]; weights: WeightsPlan }
    | { kind: 'file'; location: string; sha256?: string }
    | { kind: 'experiment'; experiment: string }
) & {
    at: SpecLoc;
    cutAt?: string;
    /** Layers after `cut at`, as the catalog or model.json describes them. Undefined when unresolvable at plan time. */
    description?: BackboneDescription;
};

export type FreezeOp =
    | { op: 'freeze_all' }
    | { op: 'freeze_none' }
    | { op: 'freeze_until'; layer: string }
    | { op: 'freeze_layers'; from: number; to: number }
    | { op: 'freeze_matching'; pattern: string }
    | { op: 'unfreeze_last'; count: number; unit: 'layers' | 'blocks' }
    | { op: 'unfreeze_from'; layer: string };

export type HeadLayerPlan =
    | { kind: 'pool'; mode: 'average' | 'max' | 'flatten' }
    | { kind: 'dense'; units: number; activation: 'relu' | 'gelu' | 'tanh' | 'linear' }
    | { kind: 'dropout'; rate: number }
    | { kind: 'batchnorm' };

/** Losses are a registry (src/core/losses.ts); a plan's loss is one of its entries with its options. */
export type { LossPlan } from '../losses.js';
import type { LossPlan } from '../losses.js';

export interface OutputHeadPlan {
    /** `main` for the single unnamed head. */
    name: string;
    at: SpecLoc;
    layers: HeadLayerPlan[];
    activation: 'softmax' | 'sigmoid';
    /** The label column the head learns (CSV); undefined = the dataset's default label column. */
    labels?: string;
    /** Loss weight in a multi-task sum. */
    weight: number;
    loss: LossPlan;
}

export type HeadPlan =
    | { kind: 'output'; heads: OutputHeadPlan[] }
    | { kind: 'prototypes'; distance: 'cosine' | 'euclidean'; at: SpecLoc };

export type OptimizerPlan =
    | { kind: 'sgd'; lr: number; momentum: number; nesterov: boolean }
    | { kind: 'adam'; lr: number }
    | { kind: 'adamw'; lr: number; decay: number }
    | { kind: 'rmsprop'; lr: number; momentum: number };

export type SchedulePlan =
    | { kind: 'constant' }
    | { kind: 'step'; every: number; factor: number }
    | { kind: 'cosine'; warmup: number }
    | { kind: 'one_cycle' }
    | { kind: 'plateau'; patience: number; factor: number };

export interface StagePlan {
    /** `train` for the first stage, else the stage's name. */
    name: string;
    at: SpecLoc;
    epochs: number;
    batch: number;
    optimizer: OptimizerPlan;
    /** Learning rate for unfrozen backbone layers; undefined = the optimizer's lr. */
    backboneLr?: number;
    schedule: SchedulePlan;
    earlyStop?: { monitor: string; patience: number; minDelta: number };
    checkpoint?: { monitor: string };
    clipNorm?: number;
    /** The freezing statements of this stage, applied after the previous stage's state. */
    freeze: FreezeOp[];
    batchnorm: 'frozen' | 'trainable';
    /** Resolved result: names of backbone layers that train in this stage (when the backbone is known). */
    trainableLayers?: string[];
    /** Trainable parameters in this stage: unfrozen backbone layers plus the head. */
    trainableParams?: number;
}

/** Metrics are a registry (src/core/metrics.ts); a plan's metric is one of its entries with its parameter and averaging. */
export type { MetricPlan } from '../metrics.js';
import type { MetricPlan } from '../metrics.js';

export type EvaluatePlan =
    | { kind: 'test' }
    | { kind: 'dataset'; dataset: DatasetPlan }
    | { kind: 'episodes'; episodes: number; way: number; shot: number; query: number };

export interface AdaptPlan {
    target: DatasetPlan;
    method: 'coral' | 'mmd' | 'dann';
    weight: number;
    at: SpecLoc;
}

export type ThresholdPlan = { kind: 'fixed'; value: number } | { kind: 'tuned'; perClass: boolean };

/**
 * What a transfer result is compared with. `scratch`: every layer of the same architecture trained
 * from random weights with the experiment's own stages, optimizer, schedule and epochs (the
 * alternative a user really has). `random_features`: the experiment's own freezing over a randomly
 * initialised backbone (how much the head alone gets from random features).
 */
export type BaselineKind = 'scratch' | 'random_features';

export interface ExperimentPlan {
    planVersion: 1;
    experiment: string;
    at: SpecLoc;
    data: DatasetPlan;
    backbone: BackbonePlan;
    head: HeadPlan;
    /** `train` first, then each `stage` in order. Empty for `head prototypes`. */
    stages: StagePlan[];
    adapt?: AdaptPlan;
    metrics: MetricPlan[];
    evaluate: EvaluatePlan[];
    /** The baselines to train beside the experiment, in spec order, each once. */
    baselines: BaselineKind[];
    threshold?: ThresholdPlan;
    /** The seed of a single run; with `seeds`, the first of them. */
    seed: number;
    /** `seeds 1, 2, 3` (or `graft run --seeds N`): the experiment and its baselines once per seed. */
    seeds?: number[];
    device: 'auto' | 'gpu' | 'cpu';
    /** Absolute folder to export the trained model to. */
    export?: string;
    /** Experiments whose trained backbones this one needs, dependencies first. */
    dependsOn: string[];
}

export interface SweepPlan {
    planVersion: 1;
    sweep: string;
    at: SpecLoc;
    experiment: string;
    vary: { param: string; values: number[] }[];
    /** Random trials drawn from the grid; undefined = the full grid. */
    trials?: number;
    objective: { direction: 'max' | 'min'; monitor: string };
}
