// The compiled frozen graph must compute what tf.layers computes: the whole network in inference
// (BatchNorm folded, paddings absorbed, activations fused) and, with part of a network frozen,
// the same loss gradients for the layers that train.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mobilenetV2, smallCnn, tinyResnet, tinyVgg } from '../../bench/backend-nets.js';
import { compileFrozenGraph, frozenForTraining } from '../../src/runtime/backend/frozen-graph.js';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { lossGradients, randomValues, useWasm } from './compare.js';

beforeAll(useWasm);

/** BatchNorm statistics far from 0/1, so that a wrong fold shows. */
function randomizeBatchNorm(model: tf.LayersModel, seed: number, spread = 1): void {
    let k = seed;
    for (const l of model.layers) {
        if (l.getClassName() !== 'BatchNormalization') continue;
        l.setWeights(
            l.getWeights().map((w, i) => {
                const v = randomValues(w.shape, k++, 0);
                // gamma, beta, mean: [-1, 1) (+1 for gamma); variance: [0.25, 2.25)
                const shifted = v.map((x) => (i === 3 ? 1 + spread * (0.25 + x) : i === 0 ? 1 + 0.5 * spread * x : spread * x));
                return tf.tensor(shifted, w.shape);
            })
        );
    }
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
    return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]!));
}

const inference: [string, () => tf.LayersModel, number[]][] = [
    ['MobileNetV2 (pads, depthwise, ReLU6, adds)', () => mobilenetV2(0.35, 48, 10), [3, 48, 48, 3]],
    ['ResNet (7x7 stem, symmetric padding, projections)', () => tinyResnet(40, 10), [2, 40, 40, 3]],
    ['VGG (conv activations, dense relu, dropout)', () => tinyVgg(24, 10), [2, 24, 24, 3]],
    ['small_cnn (conv-bn-relu-pool)', () => smallCnn([8, 16], 28, 10, 1), [4, 28, 28, 1]],
    ['zoo mobilenet_v2 α0.35', () => buildBackbone({ arch: 'mobilenet_v2', alpha: 0.35, inputShape: [64, 64, 3] }, { seed: 3 }), [2, 64, 64, 3]],
    ['zoo mobilenet_v1 α0.25', () => buildBackbone({ arch: 'mobilenet_v1', alpha: 0.25, inputShape: [64, 64, 3] }, { seed: 3 }), [2, 64, 64, 3]],
    ['zoo resnet18', () => buildBackbone({ arch: 'resnet18', inputShape: [64, 64, 3] }, { seed: 3 }), [2, 64, 64, 3]],
    ['zoo small_cnn', () => buildBackbone({ arch: 'small_cnn', filters: [8, 16, 32], inputShape: [28, 28, 1] }, { seed: 3 }), [2, 28, 28, 1]]
];

describe('frozen graph: inference equals tf.layers', () => {
    for (const [name, build, shape] of inference) {
        it(name, () => {
            const model = build();
            randomizeBatchNorm(model, 11);
            const x = tf.tensor(randomValues(shape, 5), shape);
            const graph = compileFrozenGraph(model);
            const ref = model.apply(x, { training: false }) as tf.Tensor;
            const got = graph.predict(x) as tf.Tensor;
            expect(got.shape).toEqual(ref.shape);
            expect(maxRelDiff(got, ref)).toBeLessThan(1e-4);
            // Every BatchNorm that follows a conv is folded into it.
            const afterConv = model.layers.filter((l) => {
                if (l.getClassName() !== 'BatchNormalization') return false;
                const from = (l.input as tf.SymbolicTensor).sourceLayer.getClassName();
                return from === 'Conv2D' || from === 'DepthwiseConv2D';
            });
            for (const bn of afterConv) expect(graph.compiledLayers).toContain(bn.name);
            // And every convolution runs compiled (VGG has no BatchNorm: its convs carry the ReLU).
            for (const l of model.layers) if (/^(Conv2D|DepthwiseConv2D)$/.test(l.getClassName())) expect(graph.compiledLayers).toContain(l.name);
            graph.dispose();
            tf.dispose([x, ref, got]);
        });
    }

    it('absorbs ZeroPadding2D into the following valid conv, and a ReLU6 into the conv before it', () => {
        const model = mobilenetV2(0.35, 32, 4);
        const graph = compileFrozenGraph(model);
        expect(graph.compiledLayers).toContain('block_1_pad');
        expect(graph.compiledLayers).toContain('block_1_depthwise_relu');
        expect(graph.compiledLayers).toContain('Conv1_relu6');
        graph.dispose();
    });

    it('does not fold a padding that another layer also reads', () => {
        const input = tf.input({ shape: [9, 9, 2] });
        const padded = tf.layers.zeroPadding2d({ padding: 1 }).apply(input) as tf.SymbolicTensor;
        const a = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'valid' }).apply(padded) as tf.SymbolicTensor;
        const b = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'valid', activation: 'relu' }).apply(padded) as tf.SymbolicTensor;
        const model = tf.model({ inputs: input, outputs: tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor });
        const x = tf.tensor(randomValues([2, 9, 9, 2], 3), [2, 9, 9, 2]);
        const graph = compileFrozenGraph(model);
        expect(maxRelDiff(graph.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
        graph.dispose();
    });
});

describe('frozen graph: training above a frozen prefix', () => {
    // MobileNetV2's tail at 2x2 spatial with training-mode BatchNorm is chaotic (a 1e-6 change of
    // the input moves some gradients by 7%), so there every BatchNorm runs on its statistics;
    // the ResNet case keeps training-mode BatchNorm above the cut.
    const cases: [string, () => tf.LayersModel, number[], string, boolean][] = [
        ['MobileNetV2 frozen below block_5', () => mobilenetV2(0.35, 64, 5), [6, 64, 64, 3], 'block_5_expand_conv', false],
        ['ResNet frozen below its second stage', () => tinyResnet(32, 5), [4, 32, 32, 3], 's1a_conv', true]
    ];
    for (const [name, build, shape, firstTrainable, tailBatchStats] of cases) {
        it(`${name}: same loss gradients for every trainable weight`, () => {
            const model = build();
            randomizeBatchNorm(model, 17, 0.5);
            const cut = model.layers.findIndex((l) => l.name === firstTrainable);
            expect(cut).toBeGreaterThan(0);
            // Frozen BatchNorm runs in inference mode: train/model.ts sets `graftInference` and
            // patches `call`; here a wrapper forcing training=false does the same for both paths.
            const restore: (() => void)[] = [];
            model.layers.forEach((l, i) => {
                l.trainable = i >= cut;
                if (l.getClassName() !== 'BatchNormalization' || (i >= cut && tailBatchStats)) return;
                if (i < cut) (l as unknown as { graftInference: boolean }).graftInference = true;
                const call = l.call.bind(l);
                l.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
                restore.push(() => (l.call = call));
            });
            const x = tf.tensor(randomValues(shape, 9), shape);
            const y = tf.oneHot(Array.from({ length: shape[0]! }, (_, i) => i % 5), 5);
            const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
            const graph = compileFrozenGraph(model, { constant: frozenForTraining });
            expect(graph.compiledLayers.length).toBeGreaterThan(0);
            expect(graph.compiledLayers).not.toContain(firstTrainable);
            // Reference: every layer through tf.layers.
            const reference = compileFrozenGraph(model, { constant: () => false });
            expect(reference.compiledLayers).toEqual([]);
            const want = lossGradients(() => reference.apply(x, { training: true }) as tf.Tensor, y, vars);
            // As the trainer does it: the frozen part before the tape, the rest inside it.
            const before = tf.memory().numTensors;
            const frozen = graph.runFrozen(x);
            const got = lossGradients(() => graph.applyFrom(frozen, { training: true }) as tf.Tensor, y, vars);
            frozen.dispose();
            expect(tf.memory().numTensors).toBe(before);
            // And all inside the tape (unfused activations, same values).
            const inTape = lossGradients(() => graph.apply(x, { training: true }) as tf.Tensor, y, vars);
            restore.forEach((r) => r());
            expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
            expect(want.size).toBe(vars.length);
            let maxRef = 0;
            let maxDiff = 0;
            for (const [k, ref] of want) {
                const g = got.get(k)!;
                for (let i = 0; i < ref.length; i++) {
                    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - g[i]!));
                }
            }
            expect(maxRef).toBeGreaterThan(0);
            expect(maxDiff / maxRef).toBeLessThan(1e-4);
            let inTapeDiff = 0;
            for (const [k, g] of inTape) g.forEach((v, i) => (inTapeDiff = Math.max(inTapeDiff, Math.abs(v - got.get(k)![i]!))));
            expect(inTapeDiff / maxRef).toBeLessThan(1e-4);
            graph.dispose();
            reference.dispose();
        });
    }
});
