// Training each kind of zoo network on wasm: every weight gradient of a training step (batchnorm
// in training mode) must match the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mobilenetV2, smallCnn, tinyResnet, tinyVgg } from '../../bench/backend-nets.js';
import { lossGradients, randomValues, useWasm } from './compare.js';

beforeAll(useWasm);

async function compareTraining(build: () => tf.LayersModel, inputShape: number[], classes: number, training = true): Promise<number> {
    await tf.setBackend('cpu');
    const model = build();
    const x = tf.tensor(randomValues(inputShape, 7), inputShape);
    const labels = Array.from({ length: inputShape[0]! }, (_, i) => i % classes);
    const y = tf.oneHot(labels, classes);
    const reference = lossGradients(() => model.apply(x, { training }) as tf.Tensor, y);
    await tf.setBackend('wasm');
    const got = lossGradients(() => model.apply(x, { training }) as tf.Tensor, y);
    expect([...got.keys()].sort()).toEqual([...reference.keys()].sort());
    // Relative to the largest gradient of the model: some gradients are ~0 by construction
    // (the beta of a batchnorm followed by another one) and only rounding noise remains there.
    let maxRef = 0;
    let maxDiff = 0;
    for (const [name, ref] of reference) {
        const g = got.get(name)!;
        for (let i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]!));
            maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - g[i]!));
        }
    }
    model.dispose();
    expect(maxRef).toBeGreaterThan(0);
    return maxDiff / maxRef;
}

describe('training steps on wasm match cpu', () => {
    it('small_cnn (conv, batchnorm, relu, max-pool, dense)', async () => {
        expect(await compareTraining(() => smallCnn([4, 8], 12, 3, 1), [4, 12, 12, 1], 3)).toBeLessThan(1e-3);
    });
    it('MobileNetV2 (depthwise, ReLU6, ZeroPadding, Add), frozen-style batchnorm', async () => {
        // Inference-mode batchnorm (as in frozen parts): at test sizes the last training-mode
        // batchnorms see a handful of values, their variance is ill-conditioned and either
        // backend's rounding is amplified to ~1e-3; without that the match is ~1e-7.
        expect(await compareTraining(() => mobilenetV2(0.35, 32, 3), [4, 32, 32, 3], 3, false)).toBeLessThan(1e-5);
    });
    it('ResNet (7x7 stem, 3x3 max-pool, projection shortcuts)', async () => {
        expect(await compareTraining(() => tinyResnet(32, 3, [8, 16]), [2, 32, 32, 3], 3)).toBeLessThan(1e-3);
    });
    it('VGG (conv with bias, max-pool, dense)', async () => {
        expect(await compareTraining(() => tinyVgg(16, 3, 0), [2, 16, 16, 3], 3)).toBeLessThan(1e-3);
    });
});

describe('model.fit on wasm', () => {
    it('leaks no tensors or wasm buffers across epochs (gather, identity, gradient kernels)', async () => {
        await tf.setBackend('wasm');
        const model = smallCnn([4, 8], 12, 3, 1);
        model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
        const x = tf.tensor(randomValues([6, 12, 12, 1], 3), [6, 12, 12, 1]);
        const y = tf.oneHot([0, 1, 2, 0, 1, 2], 3);
        await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
        const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
        const history = await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
        expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
        expect(Number.isFinite(history.history['loss']![1] as number)).toBe(true);
        model.dispose();
    });
});
