// The shape of a backbone as both the editor and the runtime see it. The zoo catalog produces
// these descriptions from an architecture and its parameters; model.json topologies are read into
// the same shape. The editor validates and explains layer names against them, and the runtime
// builds exactly the layers they list: one source of truth.


/** Output shape without the batch dimension, e.g. [14, 14, 64]. */
export type Shape = number[];

export interface LayerInfo {
    /** Position in the backbone, 0-based, in topological order (the order `freeze layers a..b` counts). */
    index: number;
    /** Keras-compatible layer name, e.g. `block_13_expand`, `conv_pw_3_bn`. */
    name: string;
    /** Keras class name: Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Add, ... */
    className: string;
    /** The block this layer belongs to (`unfreeze last n blocks` counts these), if any. */
    block?: string;
    outputShape: Shape;
    /** Number of weights (trainable and non-trainable). */
    params: number;
    /** Floating-point operations per image (a multiply-add counts 2), inferred from the shapes. */
    flops?: number;
    /** Names of the layers feeding this one (empty for the input layer). */
    inbound?: string[];
    /** Construction parameters: set for zoo layers (the tfjs builder reads them), absent for model.json layers. */
    config?: LayerConfig;
}

/**
 * What a layer needs to be built: Keras' config in camelCase, channels-last. Only the fields a
 * class uses are set. The tfjs builder and the shape/parameter inference both read this.
 */
export interface LayerConfig {
    filters?: number;
    kernelSize?: [number, number];
    strides?: [number, number];
    padding?: 'same' | 'valid';
    /** ZeroPadding2D: [[top, bottom], [left, right]]. */
    pad?: [[number, number], [number, number]];
    useBias?: boolean;
    /** Activation of a Conv2D/Dense, or the function of an Activation layer (`relu`, …). */
    activation?: string;
    depthMultiplier?: number;
    /** BatchNormalization. */
    epsilon?: number;
    momentum?: number;
    /** ReLU's cap (6 for ReLU6). */
    maxValue?: number;
    /** MaxPooling2D / AveragePooling2D. */
    poolSize?: [number, number];
    units?: number;
}

export interface BlockInfo {
    name: string;
    /** Index of the first and last layer of the block (inclusive). */
    first: number;
    last: number;
}

export interface BackboneDescription {
    /** `small_cnn`, `mobilenet_v2`, ... or `model.json` for a file. */
    arch: string;
    /** Human label, e.g. `mobilenet_v2 α0.35` or the model.json path. */
    label: string;
    inputShape: Shape;
    layers: LayerInfo[];
    blocks: BlockInfo[];
    params: number;
    /** Floating-point operations per image through the feature layer (sum over the layers). */
    flops?: number;
    /** The layer whose output is the feature map given to the head (after `cut at`). */
    featureLayer: string;
    featureShape: Shape;
    /** The zoo options the description was computed with (zoo backbones only). */
    alpha?: number;
    filters?: number[];
    /** model.json backbones: absolute path of the file the layers were read from. */
    source?: string;
}
