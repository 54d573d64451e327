// Plain convolution stacks: VGG16 with the Keras applications' names (block1_conv1 …
// block5_pool) and Graft's small_cnn (per filter count: 3×3 conv → BatchNorm → relu → max-pool 2).

import { GraphBuilder, type LayerNode } from '../graph.js';
import { INPUT_NAME } from './mobilenet.js';

export function vgg16(): LayerNode[] {
    const g = new GraphBuilder();
    let x = g.input(INPUT_NAME);
    const stacks: [number, number][] = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];
    stacks.forEach(([filters, convs], i) => {
        const block = `block${i + 1}`;
        g.block = block;
        for (let c = 1; c <= convs; c++) {
            x = g.add(`${block}_conv${c}`, 'Conv2D', { filters, kernelSize: [3, 3], strides: [1, 1], padding: 'same', useBias: true, activation: 'relu' }, x);
        }
        x = g.add(`${block}_pool`, 'MaxPooling2D', { poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, x);
    });
    return g.nodes;
}

export const VGG16_OUTPUT = 'block5_pool';

export function smallCnn(filters: readonly number[]): LayerNode[] {
    const g = new GraphBuilder();
    let x = g.input(INPUT_NAME);
    filters.forEach((f, i) => {
        const block = `block${i + 1}`;
        g.block = block;
        // No bias: the BatchNorm right after the convolution has its own offset.
        x = g.add(`${block}_conv`, 'Conv2D', { filters: f, kernelSize: [3, 3], strides: [1, 1], padding: 'same', useBias: false }, x);
        x = g.add(`${block}_bn`, 'BatchNormalization', { epsilon: 1e-3, momentum: 0.99 }, x);
        x = g.add(`${block}_relu`, 'Activation', { activation: 'relu' }, x);
        x = g.add(`${block}_pool`, 'MaxPooling2D', { poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, x);
    });
    return g.nodes;
}

export function smallCnnOutput(filters: readonly number[]): string {
    return `block${filters.length}_pool`;
}
