// MobileNet v1 and v2 as layer graphs with the Keras applications' names, order and channel
// arithmetic (keras/src/applications/mobilenet.py and mobilenet_v2.py), so that published
// weights map onto them by layer name.

import type { Shape } from '../catalog-types.js';
import { GraphBuilder, type LayerNode } from '../graph.js';

export const INPUT_NAME = 'input_1';

/** Keras' `_make_divisible`: round channels to a multiple of 8, never more than 10 % down. */
export function makeDivisible(value: number, divisor = 8): number {
    let rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
    if (rounded < 0.9 * value) rounded += divisor;
    return rounded;
}

/**
 * Keras' `correct_pad` for a 3×3 stride-2 convolution: pad one more at the bottom/right when the
 * size is even, so that `valid` gives ceil(size / 2).
 */
function correctPad(size: [number, number]): [[number, number], [number, number]] {
    const adjust = [1 - (size[0] % 2), 1 - (size[1] % 2)];
    return [[1 - adjust[0], 1], [1 - adjust[1], 1]];
}

export function mobilenetV1(alpha: number): LayerNode[] {
    const g = new GraphBuilder();
    let x = g.input(INPUT_NAME);
    g.block = 'conv1';
    x = g.add('conv1', 'Conv2D', { filters: Math.trunc(32 * alpha), kernelSize: [3, 3], strides: [2, 2], padding: 'same', useBias: false }, x);
    x = g.add('conv1_bn', 'BatchNormalization', { epsilon: 1e-3, momentum: 0.99 }, x);
    x = g.add('conv1_relu', 'ReLU', { maxValue: 6 }, x);
    const plan: [number, 1 | 2][] = [
        [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
        [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]
    ];
    plan.forEach(([filters, stride], i) => {
        const id = i + 1;
        g.block = `block_${id}`;
        if (stride === 2) x = g.add(`conv_pad_${id}`, 'ZeroPadding2D', { pad: [[0, 1], [0, 1]] }, x);
        x = g.add(`conv_dw_${id}`, 'DepthwiseConv2D', {
            kernelSize: [3, 3], strides: [stride, stride], padding: stride === 1 ? 'same' : 'valid', depthMultiplier: 1, useBias: false
        }, x);
        x = g.add(`conv_dw_${id}_bn`, 'BatchNormalization', { epsilon: 1e-3, momentum: 0.99 }, x);
        x = g.add(`conv_dw_${id}_relu`, 'ReLU', { maxValue: 6 }, x);
        x = g.add(`conv_pw_${id}`, 'Conv2D', { filters: Math.trunc(filters * alpha), kernelSize: [1, 1], strides: [1, 1], padding: 'same', useBias: false }, x);
        x = g.add(`conv_pw_${id}_bn`, 'BatchNormalization', { epsilon: 1e-3, momentum: 0.99 }, x);
        x = g.add(`conv_pw_${id}_relu`, 'ReLU', { maxValue: 6 }, x);
    });
    return g.nodes;
}

export const MOBILENET_V1_OUTPUT = 'conv_pw_13_relu';

/**
 * MobileNetV2. The stride-2 blocks pad with `correct_pad`, which depends on the spatial size at
 * that point, so the graph is built for a given input shape.
 */
export function mobilenetV2(alpha: number, inputShape: Shape): LayerNode[] {
    const g = new GraphBuilder();
    const bn = { epsilon: 1e-3, momentum: 0.999 };
    let size: [number, number] = [inputShape[0], inputShape[1]];
    const half = (s: [number, number]): [number, number] => [Math.ceil(s[0] / 2), Math.ceil(s[1] / 2)];
    let x = g.input(INPUT_NAME);
    g.block = 'Conv1';
    let channels = makeDivisible(32 * alpha);
    x = g.add('Conv1', 'Conv2D', { filters: channels, kernelSize: [3, 3], strides: [2, 2], padding: 'same', useBias: false }, x);
    size = half(size);
    x = g.add('bn_Conv1', 'BatchNormalization', bn, x);
    x = g.add('Conv1_relu', 'ReLU', { maxValue: 6 }, x);
    // [filters, stride, expansion] for block_id 0..16
    const plan: [number, 1 | 2, number][] = [
        [16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6], [64, 2, 6], [64, 1, 6], [64, 1, 6],
        [64, 1, 6], [96, 1, 6], [96, 1, 6], [96, 1, 6], [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6]
    ];
    plan.forEach(([filters, stride, expansion], id) => {
        const blockInput = x;
        const out = makeDivisible(Math.trunc(filters * alpha));
        const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
        g.block = id === 0 ? 'expanded_conv' : `block_${id}`;
        if (id > 0) {
            x = g.add(`${prefix}expand`, 'Conv2D', { filters: expansion * channels, kernelSize: [1, 1], strides: [1, 1], padding: 'same', useBias: false }, x);
            x = g.add(`${prefix}expand_BN`, 'BatchNormalization', bn, x);
            x = g.add(`${prefix}expand_relu`, 'ReLU', { maxValue: 6 }, x);
        }
        if (stride === 2) x = g.add(`${prefix}pad`, 'ZeroPadding2D', { pad: correctPad(size) }, x);
        x = g.add(`${prefix}depthwise`, 'DepthwiseConv2D', {
            kernelSize: [3, 3], strides: [stride, stride], padding: stride === 1 ? 'same' : 'valid', depthMultiplier: 1, useBias: false
        }, x);
        if (stride === 2) size = half(size);
        x = g.add(`${prefix}depthwise_BN`, 'BatchNormalization', bn, x);
        x = g.add(`${prefix}depthwise_relu`, 'ReLU', { maxValue: 6 }, x);
        x = g.add(`${prefix}project`, 'Conv2D', { filters: out, kernelSize: [1, 1], strides: [1, 1], padding: 'same', useBias: false }, x);
        x = g.add(`${prefix}project_BN`, 'BatchNormalization', bn, x);
        if (channels === out && stride === 1) x = g.add(`${prefix}add`, 'Add', {}, [blockInput, x]);
        channels = out;
    });
    // The top convolution belongs to no block: `unfreeze last n blocks` unfreezes it with block_16.
    g.block = undefined;
    const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
    x = g.add('Conv_1', 'Conv2D', { filters: last, kernelSize: [1, 1], strides: [1, 1], padding: 'valid', useBias: false }, x);
    x = g.add('Conv_1_bn', 'BatchNormalization', bn, x);
    g.add('out_relu', 'ReLU', { maxValue: 6 }, x);
    return g.nodes;
}

export const MOBILENET_V2_OUTPUT = 'out_relu';
