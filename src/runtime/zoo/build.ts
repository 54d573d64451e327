// Builds a tfjs-layers model from a BackboneDescription, layer by layer with the catalog's names,
// classes, configs and wiring — the one generic builder for every zoo architecture, so the model
// that trains is exactly the one the editor describes.

import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batchnorm-layer.js';
import { conv2d } from './conv-layer.js';
import type { BackboneDescription, LayerConfig, LayerInfo } from '../../core/zoo/catalog-types.js';
import type { ZooArch } from '../../core/zoo/catalog.js';
import { describeZoo, type DescribeZooOptions } from '../../core/zoo/catalog.js';

export class BuildError extends Error {}

export interface BuildOptions {
    /**
     * Seed for the initial weights: layer i draws from `seed + i`, so a build is repeatable.
     * Undefined = tfjs' unseeded random initialisation.
     */
    seed?: number;
}

export type BackboneInput = BackboneDescription | ({ arch: ZooArch } & DescribeZooOptions);

function isDescription(input: BackboneInput): input is BackboneDescription {
    return Array.isArray((input as BackboneDescription).layers);
}

type SymbolicTensor = tf.SymbolicTensor;

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

function initializers(seed: number | undefined, index: number): { kernel?: Initializer; depthwise?: Initializer } {
    if (seed === undefined) return {};
    // Keras' default (glorot_uniform) rather than tfjs' conv default (glorot_normal), seeded.
    return { kernel: tf.initializers.glorotUniform({ seed: seed + index }), depthwise: tf.initializers.glorotUniform({ seed: seed + index }) };
}

type ActivationId = Parameters<typeof tf.layers.activation>[0]['activation'];

function makeLayer(layer: LayerInfo, config: LayerConfig, seed: number | undefined): tf.layers.Layer {
    const name = layer.name;
    const init = initializers(seed, layer.index);
    const activation = config.activation as ActivationId | undefined;
    switch (layer.className) {
        case 'Conv2D':
            return conv2d({
                name,
                filters: config.filters!,
                kernelSize: config.kernelSize ?? [1, 1],
                strides: config.strides ?? [1, 1],
                padding: config.padding ?? 'valid',
                useBias: config.useBias ?? true,
                activation: activation ?? 'linear',
                kernelInitializer: init.kernel ?? 'glorotUniform'
            });
        case 'DepthwiseConv2D':
            return tf.layers.depthwiseConv2d({
                name,
                kernelSize: config.kernelSize ?? [3, 3],
                strides: config.strides ?? [1, 1],
                padding: config.padding ?? 'valid',
                depthMultiplier: config.depthMultiplier ?? 1,
                useBias: config.useBias ?? true,
                activation: activation ?? 'linear',
                depthwiseInitializer: init.depthwise ?? 'glorotUniform'
            });
        case 'BatchNormalization':
            return batchNormalization({ name, axis: -1, epsilon: config.epsilon ?? 1e-3, momentum: config.momentum ?? 0.99 });
        case 'ReLU':
            return tf.layers.reLU({ name, ...(config.maxValue !== undefined ? { maxValue: config.maxValue } : {}) });
        case 'Activation':
            return tf.layers.activation({ name, activation: activation ?? 'linear' });
        case 'ZeroPadding2D':
            return tf.layers.zeroPadding2d({ name, padding: config.pad ?? [[1, 1], [1, 1]] });
        case 'MaxPooling2D':
            return tf.layers.maxPooling2d({ name, poolSize: config.poolSize ?? [2, 2], strides: config.strides ?? config.poolSize ?? [2, 2], padding: config.padding ?? 'valid' });
        case 'AveragePooling2D':
            return tf.layers.averagePooling2d({ name, poolSize: config.poolSize ?? [2, 2], strides: config.strides ?? config.poolSize ?? [2, 2], padding: config.padding ?? 'valid' });
        case 'GlobalAveragePooling2D':
            return tf.layers.globalAveragePooling2d({ name });
        case 'GlobalMaxPooling2D':
            return tf.layers.globalMaxPooling2d({ name });
        case 'Flatten':
            return tf.layers.flatten({ name });
        case 'Dense':
            return tf.layers.dense({ name, units: config.units!, useBias: config.useBias ?? true, activation: activation ?? 'linear', kernelInitializer: init.kernel ?? 'glorotUniform' });
        case 'Add':
            return tf.layers.add({ name });
        case 'Multiply':
            return tf.layers.multiply({ name });
        case 'Concatenate':
            return tf.layers.concatenate({ name, axis: -1 });
    }
    throw new BuildError(`layer "${name}": cannot build a ${layer.className} layer from a description`);
}

/**
 * Builds the backbone as a tf.LayersModel whose layers carry the description's names. The model
 * maps the input image to the feature layer's output. Accepts a description (e.g. from the plan)
 * or the zoo options to describe first.
 */
export function buildBackbone(input: BackboneInput, options: BuildOptions = {}): tf.LayersModel {
    const description = isDescription(input) ? input : describeZoo(input.arch, input);
    const outputs = new Map<string, SymbolicTensor>();
    let modelInput: SymbolicTensor | undefined;
    for (const layer of description.layers) {
        if (layer.className === 'InputLayer') {
            if (modelInput) throw new BuildError(`the backbone has more than one input (${layer.name})`);
            modelInput = tf.input({ shape: description.inputShape, name: layer.name });
            outputs.set(layer.name, modelInput);
            continue;
        }
        if (!layer.config) throw new BuildError(`layer "${layer.name}" has no config to build it from`);
        const inbound = layer.inbound ?? [];
        const inputs = inbound.map((name) => {
            const tensor = outputs.get(name);
            if (!tensor) throw new BuildError(`layer "${layer.name}" reads "${name}", which is not built before it`);
            return tensor;
        });
        if (inputs.length === 0) throw new BuildError(`layer "${layer.name}" has no inputs`);
        const built = makeLayer(layer, layer.config, options.seed);
        const output = built.apply(inputs.length === 1 ? inputs[0] : inputs) as SymbolicTensor;
        outputs.set(layer.name, output);
    }
    const output = outputs.get(description.featureLayer);
    if (!modelInput || !output) throw new BuildError(`the backbone ${description.label} has no input layer or no layer "${description.featureLayer}"`);
    return tf.model({ inputs: modelInput, outputs: output, name: description.arch.replace(/[^A-Za-z0-9_]/g, '_') });
}
