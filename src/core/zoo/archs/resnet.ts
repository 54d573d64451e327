// ResNet50 with the Keras applications' names (keras/src/applications/resnet.py: conv1_pad,
// conv1_conv, …, conv5_block3_out) and ResNet18 in the same naming style with basic blocks
// (two 3×3 convolutions), which Keras does not ship.

import { GraphBuilder, type LayerNode } from '../graph.js';
import { INPUT_NAME } from './mobilenet.js';

const BN = { epsilon: 1.001e-5, momentum: 0.99 };

function stem(g: GraphBuilder, useBias: boolean): string {
    let x = g.input(INPUT_NAME);
    g.block = 'conv1';
    x = g.add('conv1_pad', 'ZeroPadding2D', { pad: [[3, 3], [3, 3]] }, x);
    x = g.add('conv1_conv', 'Conv2D', { filters: 64, kernelSize: [7, 7], strides: [2, 2], padding: 'valid', useBias }, x);
    x = g.add('conv1_bn', 'BatchNormalization', BN, x);
    x = g.add('conv1_relu', 'Activation', { activation: 'relu' }, x);
    x = g.add('pool1_pad', 'ZeroPadding2D', { pad: [[1, 1], [1, 1]] }, x);
    return g.add('pool1_pool', 'MaxPooling2D', { poolSize: [3, 3], strides: [2, 2], padding: 'valid' }, x);
}

/**
 * Keras' bottleneck `block1`. Layers are listed in the order Keras' `model.layers` shows them
 * (the shortcut convolution after the second 3×3 branch layer), so `freeze layers a..b` counts
 * like `base_model.layers[a:b+1]`.
 */
function bottleneck(g: GraphBuilder, x: string, filters: number, stride: number, convShortcut: boolean, name: string): string {
    g.block = name;
    const conv = (suffix: string, f: number, k: number, s: number, padding: 'same' | 'valid', input: string): string =>
        g.add(`${name}_${suffix}_conv`, 'Conv2D', { filters: f, kernelSize: [k, k], strides: [s, s], padding, useBias: true }, input);
    let y = conv('1', filters, 1, stride, 'valid', x);
    y = g.add(`${name}_1_bn`, 'BatchNormalization', BN, y);
    y = g.add(`${name}_1_relu`, 'Activation', { activation: 'relu' }, y);
    y = conv('2', filters, 3, 1, 'same', y);
    y = g.add(`${name}_2_bn`, 'BatchNormalization', BN, y);
    y = g.add(`${name}_2_relu`, 'Activation', { activation: 'relu' }, y);
    let shortcut = x;
    if (convShortcut) {
        shortcut = conv('0', 4 * filters, 1, stride, 'valid', x);
        y = conv('3', 4 * filters, 1, 1, 'valid', y);
        shortcut = g.add(`${name}_0_bn`, 'BatchNormalization', BN, shortcut);
    } else {
        y = conv('3', 4 * filters, 1, 1, 'valid', y);
    }
    y = g.add(`${name}_3_bn`, 'BatchNormalization', BN, y);
    y = g.add(`${name}_add`, 'Add', {}, [shortcut, y]);
    return g.add(`${name}_out`, 'Activation', { activation: 'relu' }, y);
}

export function resnet50(): LayerNode[] {
    const g = new GraphBuilder();
    let x = stem(g, true);
    const stacks: [string, number, number, number][] = [['conv2', 64, 3, 1], ['conv3', 128, 4, 2], ['conv4', 256, 6, 2], ['conv5', 512, 3, 2]];
    for (const [stack, filters, blocks, stride] of stacks) {
        x = bottleneck(g, x, filters, stride, true, `${stack}_block1`);
        for (let i = 2; i <= blocks; i++) x = bottleneck(g, x, filters, 1, false, `${stack}_block${i}`);
    }
    return g.nodes;
}

export const RESNET50_OUTPUT = 'conv5_block3_out';

/** Basic block: 3×3 (stride) → BN → relu → 3×3 → BN, plus a 1×1 projection when the shape changes. */
function basic(g: GraphBuilder, x: string, filters: number, stride: number, project: boolean, name: string): string {
    g.block = name;
    let y = g.add(`${name}_1_conv`, 'Conv2D', { filters, kernelSize: [3, 3], strides: [stride, stride], padding: 'same', useBias: false }, x);
    y = g.add(`${name}_1_bn`, 'BatchNormalization', BN, y);
    y = g.add(`${name}_1_relu`, 'Activation', { activation: 'relu' }, y);
    // Listed in Keras' (and tfjs') model.layers order: the shortcut branch interleaves by depth.
    const conv2 = (input: string): string =>
        g.add(`${name}_2_conv`, 'Conv2D', { filters, kernelSize: [3, 3], strides: [1, 1], padding: 'same', useBias: false }, input);
    let shortcut = x;
    if (project) {
        shortcut = g.add(`${name}_0_conv`, 'Conv2D', { filters, kernelSize: [1, 1], strides: [stride, stride], padding: 'valid', useBias: false }, x);
        y = conv2(y);
        shortcut = g.add(`${name}_0_bn`, 'BatchNormalization', BN, shortcut);
    } else {
        y = conv2(y);
    }
    y = g.add(`${name}_2_bn`, 'BatchNormalization', BN, y);
    y = g.add(`${name}_add`, 'Add', {}, [shortcut, y]);
    return g.add(`${name}_out`, 'Activation', { activation: 'relu' }, y);
}

/** ResNet18 (He et al. 2016, table 1) without biases before BatchNorm, as torchvision builds it. */
export function resnet18(): LayerNode[] {
    const g = new GraphBuilder();
    let x = stem(g, false);
    const stacks: [string, number, number][] = [['conv2', 64, 1], ['conv3', 128, 2], ['conv4', 256, 2], ['conv5', 512, 2]];
    for (const [stack, filters, stride] of stacks) {
        x = basic(g, x, filters, stride, stride !== 1, `${stack}_block1`);
        x = basic(g, x, filters, 1, false, `${stack}_block2`);
    }
    return g.nodes;
}

export const RESNET18_OUTPUT = 'conv5_block2_out';
