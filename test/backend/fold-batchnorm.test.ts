// Folding inference-mode BatchNorm into the convolution before it.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm, foldLayerPair } from '../../src/runtime/backend/fold-batchnorm.js';
import { randomValues, useWasm } from './compare.js';

beforeAll(useWasm);

function randomise(layer: tf.layers.Layer, seed: number): void {
    // Positive variances; other weights in [-1, 1).
    layer.setWeights(
        layer.getWeights().map((w, i) => {
            const v = randomValues(w.shape, seed + i);
            const isVariance = layer.getClassName() === 'BatchNormalization' && i === layer.getWeights().length - 1;
            return tf.tensor(isVariance ? v.map((a) => a * a + 0.1) : v, w.shape);
        })
    );
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
    return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('foldBatchNorm', () => {
    it.each([
        ['Conv2D with bias, scale and center', 'conv', true, true],
        ['Conv2D without bias or gamma', 'conv', false, false],
        ['DepthwiseConv2D (multiplier 2)', 'depthwise', false, true]
    ] as const)('%s: the folded conv equals conv + batchnorm in inference mode', (_, kind, useBias, scale) => {
        const input = tf.input({ shape: [9, 9, 4] });
        const conv =
            kind === 'conv'
                ? tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias })
                : tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias });
        const bn = tf.layers.batchNormalization({ epsilon: 1e-3, scale });
        const model = tf.model({ inputs: input, outputs: bn.apply(conv.apply(input)) as tf.SymbolicTensor });
        randomise(conv, 10);
        randomise(bn, 20);
        const x = tf.tensor4d(randomValues([2, 9, 9, 4], 5), [2, 9, 9, 4]);
        const expected = model.predict(x) as tf.Tensor4D;
        const folded = foldLayerPair(conv, bn);
        const got =
            kind === 'conv'
                ? tf.add(tf.conv2d(x, folded.kernel, 1, 'same'), folded.bias)
                : tf.add(tf.depthwiseConv2d(x, folded.kernel, 1, 'same'), folded.bias);
        expect(maxDiff(expected, got)).toBeLessThan(1e-4 * Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]!));
    });

    it('rejects statistics that do not match the output channels, naming the tensor', () => {
        expect(() =>
            foldBatchNorm({
                kernel: tf.zeros([1, 1, 2, 3]) as tf.Tensor4D,
                movingMean: tf.zeros([4]) as tf.Tensor1D,
                movingVariance: tf.ones([3]) as tf.Tensor1D,
                epsilon: 1e-3
            })
        ).toThrow(/movingMean has shape \[4\], expected \[3\]/);
    });
});
