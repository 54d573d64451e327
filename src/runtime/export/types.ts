// What every export target receives: the resolved plan and everything materialised from it
// (layer graph with initial weights, data files, per-stage trainable layers, the results.json
// template). Targets (pytorch/, later keras/) only turn this into their own files; anything that
// depends on Graft's runtime (data loading, splits, weights, freezing) happens once, here.

import type { ExperimentPlan, OutputHeadPlan, SpecLoc } from '../../core/plan/types.js';
import type { RunResults } from '../runs/results.js';

export type TargetName = 'pytorch' | 'keras';

/** One weight tensor in Keras/tfjs layout (HWIO kernels, [in, out] dense kernels), as Graft holds it. */
export interface WeightTensor {
    /** Keras' weight name within its layer: kernel, bias, depthwise_kernel, gamma, beta, moving_mean, moving_variance. */
    param: string;
    shape: number[];
    values: Float32Array;
}

/** Target-neutral layer configuration (only the fields a layer class uses are set). */
export interface LayerConfig {
    filters?: number;
    kernelSize?: [number, number];
    strides?: [number, number];
    padding?: 'same' | 'valid';
    dilation?: [number, number];
    useBias?: boolean;
    activation?: string;
    depthMultiplier?: number;
    epsilon?: number;
    /** Keras momentum (0.99 = slow moving averages). */
    momentum?: number;
    center?: boolean;
    scale?: boolean;
    maxValue?: number;
    units?: number;
    poolSize?: [number, number];
    /** ZeroPadding2D: [[top, bottom], [left, right]]. */
    pad?: [[number, number], [number, number]];
    rate?: number;
}

/** One layer of the network to export, in topological order, with Graft's (= Keras') name. */
export interface LayerSpec {
    name: string;
    /** Keras class name: Conv2D, DepthwiseConv2D, BatchNormalization, Dense, … */
    className: string;
    part: 'input' | 'backbone' | 'head';
    inbound: string[];
    /** Shapes without the batch dimension, channels last, of the first input and of the output. */
    inShape: number[];
    outShape: number[];
    config: LayerConfig;
    weights: WeightTensor[];
}

/** One split's data as written into the project (see docs/export.md "Data"). */
export interface SplitFiles {
    split: 'train' | 'val' | 'test';
    /** Project-relative paths of the uint8 [N, H, W, C] images and int64 [N] labels (.npy). */
    images: string;
    labels: string;
    count: number;
}

/** A stage with what the runtime resolves at run time: the layers whose weights train. */
export interface StageExport {
    name: string;
    at: SpecLoc;
    /** Backbone layers whose weights train in this stage (BatchNorm among them runs in training mode). */
    trainableLayers: string[];
    /** Trainable parameters: those layers plus the head (as Graft reports). */
    trainableParams: number;
}

export interface ExportContext {
    plan: ExperimentPlan;
    head: OutputHeadPlan;
    classes: string[];
    layers: LayerSpec[];
    /** Name of the backbone's output layer (the head's input). */
    featureLayer: string;
    /** Whether the backbone starts from trained weights (`batchnorm frozen` keeps its statistics only then). */
    pretrained: boolean;
    stages: StageExport[];
    splits: SplitFiles[];
    /** Per-class training counts (class weights for `balance class_weights`). */
    trainCounts: number[];
    /** results.json fields known at export time; the script fills in the rest (see results-contract.ts). */
    resultsTemplate: RunResults;
    /** Default runs folder the script writes into (absolute): Graft's runs dir of the spec. */
    runsRoot: string;
    /** Where the split came from: a run's splits.json it was checked against, or computed at export time. */
    splitSource: string;
    /** Where the initial weights came from, for the README. */
    weightsSource: string;
    /** Spec path relative to the project, for messages. */
    specDisplay: string;
}

/** A file of the exported project: project-relative path and content. */
export interface ProjectFile {
    path: string;
    content: string | Uint8Array;
}

/** A spec construct the target cannot reproduce: refused with its spec line. */
export interface Refusal {
    at: SpecLoc;
    /** The construct, as written in the spec (`head prototypes`, `adapt to …`). */
    what: string;
    /** Why it does not translate and what to do instead. */
    why: string;
}

export interface ExportTarget {
    name: TargetName;
    /** The engine tag written to results.json (`engine.name`). */
    engine: string;
    /** Target-specific refusals on top of the shared ones (layer classes, activations, …). */
    refusals(ctx: Pick<ExportContext, 'plan' | 'layers'>): Refusal[];
    /** The project's files besides data/ (which the framework writes). */
    files(ctx: ExportContext): ProjectFile[];
}
