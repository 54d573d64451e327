// CORAL, MMD, gradient reversal and DANN's domain loss against values worked out by hand.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { coralLoss, covariance, mmdBandwidths, mmdLoss, poolFeatures } from '../../src/runtime/transfer/domain-losses.js';
import { dannRamp, gradientReversal } from '../../src/runtime/transfer/gradient-reversal.js';
import { DomainClassifier } from '../../src/runtime/transfer/domain-classifier.js';
import { adaptationLoss } from '../../src/runtime/transfer/adapt-step.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

const value = (t: tf.Scalar): number => t.dataSync()[0];

describe('CORAL', () => {
    it('uses the unbiased covariance', () => {
        // rows [1,2],[3,4],[5,0]: mean [3,2], deviations [-2,0],[0,2],[2,-2] → Σ/(n−1) = [[4,-2],[-2,4]]
        expect(Array.from(covariance(tf.tensor2d([[1, 2], [3, 4], [5, 0]])).dataSync())).toEqual([4, -2, -2, 4]);
    });
    it('is ‖C_s − C_t‖²_F / (4d²) on axis-aligned batches', () => {
        // C_s = [[2,0],[0,0]], C_t = [[0,0],[0,2]]: (4 + 4) / (4·2²) = 0.5
        expect(value(coralLoss(tf.tensor2d([[0, 0], [2, 0]]), tf.tensor2d([[0, 0], [0, 2]])))).toBeCloseTo(0.5, 6);
    });
    it('counts off-diagonal terms', () => {
        // C_s = [[4,-2],[-2,4]], C_t = rows [0,0],[1,1],[2,2] → [[1,1],[1,1]]; diff [[3,-3],[-3,3]]: 36 / 16 = 2.25
        expect(value(coralLoss(tf.tensor2d([[1, 2], [3, 4], [5, 0]]), tf.tensor2d([[0, 0], [1, 1], [2, 2]])))).toBeCloseTo(2.25, 6);
    });
    it('is 0 for batches with the same covariance, whatever their means', () => {
        const s = tf.tensor2d([[1, 2], [3, 4], [5, 0]]);
        expect(value(coralLoss(s, tf.add(s, 10) as tf.Tensor2D))).toBeCloseTo(0, 6);
    });
    it('has a gradient that moves the source covariance towards the target', () => {
        const s = tf.variable(tf.tensor2d([[0, 0], [2, 0], [0, 1]]));
        const t = tf.tensor2d([[0, 0], [0, 2], [1, 0]]);
        const before = value(coralLoss(s, t));
        const opt = tf.train.sgd(0.5);
        for (let i = 0; i < 20; i++) opt.minimize(() => coralLoss(s as unknown as tf.Tensor2D, t));
        expect(value(coralLoss(s as unknown as tf.Tensor2D, t))).toBeLessThan(before / 4);
    });
    it('rejects features of different widths', () => {
        expect(() => coralLoss(tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([3, 4]) as tf.Tensor2D)).toThrow(/2 dimensions, target features 4/);
    });
});

describe('MMD (biased, multi-bandwidth Gaussian)', () => {
    it('one bandwidth, one sample each: 2 − 2·e^(−1/2)', () => {
        expect(value(mmdLoss(tf.tensor2d([[0]]), tf.tensor2d([[1]]), { sigmas2: [1] }))).toBeCloseTo(0.7869387, 6);
    });
    it('sums the kernels of several bandwidths', () => {
        // k(d²) = e^(−d²/2) + e^(−d²/8); s = {0, 1}, t = {3, 3}:
        // mean K_ss = (4 + 2(e^−½ + e^−⅛))/4, mean K_tt = 2, mean K_st = (2(e^−4.5 + e^−1.125) + 2(e^−2 + e^−½))/4
        expect(value(mmdLoss(tf.tensor2d([[0], [1]]), tf.tensor2d([[3], [3]]), { sigmas2: [1, 4] }))).toBeCloseTo(2.6668864, 5);
    });
    it('is 0 for identical batches and positive otherwise', () => {
        const s = tf.tensor2d([[0, 1], [2, 3], [1, 1]]);
        expect(value(mmdLoss(s, s))).toBeCloseTo(0, 6);
        expect(value(mmdLoss(s, tf.add(s, 0.5) as tf.Tensor2D))).toBeGreaterThan(0.01);
    });
    it('default bandwidths are ¼…4 × the mean pairwise squared distance of the joint batch', () => {
        // joint {0, 1, 3, 3}: ordered off-diagonal squared distances sum to 54 over 12 pairs → 4.5
        const sig = mmdBandwidths(tf.tensor2d([[0], [1]]), tf.tensor2d([[3], [3]]));
        expect(sig.map((v) => Number(v.toFixed(6)))).toEqual([1.125, 2.25, 4.5, 9, 18]);
    });
});

describe('gradient reversal', () => {
    it('is the identity forward', () => {
        const x = tf.tensor1d([1, -2, 3]);
        expect(Array.from(gradientReversal(x, 0.7).dataSync())).toEqual([1, -2, 3]);
    });
    it('multiplies the gradient by −λ', () => {
        const c = tf.tensor1d([1, -2, 4]);
        const plain = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, c)))(tf.tensor1d([1, 2, 3]));
        const reversed = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gradientReversal(x, 0.5), c)))(tf.tensor1d([1, 2, 3]));
        expect(Array.from(plain.dataSync())).toEqual([1, -2, 4]);
        expect(Array.from(reversed.dataSync())).toEqual([-0.5, 1, -2]);
    });
    it('rejects a negative λ', () => {
        expect(() => gradientReversal(tf.scalar(1), -1)).toThrow(/λ/);
    });
    it('DANN ramp rises from 0 towards 1', () => {
        expect(dannRamp(0)).toBe(0);
        expect(dannRamp(0.5)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 10);
        expect(dannRamp(1)).toBeGreaterThan(0.999);
    });
});

describe('DANN domain classifier', () => {
    it('reverses the gradient reaching the features but trains its own weights normally', () => {
        const dc = new DomainClassifier(3, 42, 4);
        const s = tf.tensor2d([[1, 0, 2], [0, 1, 1]]);
        const t = tf.tensor2d([[2, 2, 0], [1, 3, 1]]);
        const plainLoss = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar => {
            const labels = tf.tensor2d([[0], [0], [1], [1]]);
            return tf.losses.sigmoidCrossEntropy(labels, dc.logits(tf.concat([a, b], 0) as tf.Tensor2D)) as tf.Scalar;
        };
        const lambda = 0.3;
        const gPlain = tf.grads((a: tf.Tensor, b: tf.Tensor) => plainLoss(a as tf.Tensor2D, b as tf.Tensor2D))([s, t]);
        const gRev = tf.grads((a: tf.Tensor, b: tf.Tensor) => dc.loss(a as tf.Tensor2D, b as tf.Tensor2D, lambda))([s, t]);
        const p = Array.from(gPlain[0].dataSync());
        const r = Array.from(gRev[0].dataSync());
        expect(p.some((v) => Math.abs(v) > 1e-6)).toBe(true);
        r.forEach((v, i) => expect(v).toBeCloseTo(-lambda * p[i], 6));
        // The classifier's own weights: the same gradient with and without reversal.
        const wPlain = tf.variableGrads(() => plainLoss(s, t), dc.variables).grads;
        const wRev = tf.variableGrads(() => dc.loss(s, t, lambda), dc.variables).grads;
        for (const v of dc.variables) {
            const a = Array.from(wPlain[v.name].dataSync());
            Array.from(wRev[v.name].dataSync()).forEach((x, i) => expect(x).toBeCloseTo(a[i], 6));
        }
        dc.dispose();
    });
    it('starts at ln 2 for an undecided classifier and is repeatable from its seed', () => {
        const a = new DomainClassifier(2, 5, 3);
        const b = new DomainClassifier(2, 5, 3);
        expect(Array.from(a.w1.dataSync())).toEqual(Array.from(b.w1.dataSync()));
        const z = tf.zeros([2, 2]) as tf.Tensor2D;
        // zero features, zero biases → logit 0 → BCE ln 2 for every sample
        expect(value(a.loss(z, z, 1))).toBeCloseTo(Math.LN2, 6);
        a.dispose();
        b.dispose();
    });
});

describe('adaptation term', () => {
    it('weights CORAL and MMD by the spec weight and pools 4-D feature maps', () => {
        const s = tf.tensor2d([[0, 0], [2, 0]]);
        const t = tf.tensor2d([[0, 0], [0, 2]]);
        expect(value(adaptationLoss('coral', 3, s, t))).toBeCloseTo(1.5, 6);
        expect(value(adaptationLoss('mmd', 2, s, t))).toBeCloseTo(2 * value(mmdLoss(s, t)), 6);
        // [1, 2, 2, 1] map of 1,2,3,4 → its mean 2.5
        expect(Array.from(poolFeatures(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])).dataSync())).toEqual([2.5]);
    });
});
