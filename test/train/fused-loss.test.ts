// The fused softmax crossentropy (train/fused-loss.ts) against the tfjs formulation it replaces:
// same loss and same gradients for the logits, on cpu (tfjs ops path) and on wasm (heap kernel),
// for random signed logits, smoothing 0 and 0.1, with and without per-sample weights.
// Also the epoch tally (loss sum and correct count) against argMax/equal by tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossentropy } from '../../src/runtime/train/losses.js';
import { EpochTally, fusedCrossentropy, SOFTMAX_CROSSENTROPY } from '../../src/runtime/train/fused-loss.js';
import { randomValues, useWasm } from '../backend/compare.js';

/** The formulation `crossentropy` had before (autodiff through log-softmax and the weighted mean). */
function reference(logits: tf.Tensor2D, labels: tf.Tensor2D, sampleWeights: tf.Tensor1D | undefined, smoothing: number): tf.Scalar {
    const classes = labels.shape[1];
    const targets = smoothing > 0 ? tf.add(tf.mul(labels, 1 - smoothing), smoothing / classes) : labels;
    const perSample = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
    return (sampleWeights ? tf.mean(tf.mul(perSample, sampleWeights)) : tf.mean(perSample)) as tf.Scalar;
}

const ROWS = 13;
const CLASSES = 7;

/** Signed logits spread over about ±6, one-hot labels, weights in [0.2, 2.2). */
function batch(seed: number): { logits: tf.Tensor2D; labels: tf.Tensor2D; weights: tf.Tensor1D } {
    const logits = tf.tensor2d(randomValues([ROWS, CLASSES], seed).map((v) => v * 6), [ROWS, CLASSES]);
    const classes = Array.from(randomValues([ROWS], seed + 1), (v) => Math.floor(((v + 1) / 2) * CLASSES));
    const labels = tf.oneHot(tf.tensor1d(classes, 'int32'), CLASSES).toFloat() as tf.Tensor2D;
    const weights = tf.tensor1d(randomValues([ROWS], seed + 2).map((v) => 1.2 + v));
    return { logits, labels, weights };
}

/** Loss and d loss / d logits (scaled by `factor`, as a multi-task weight would) for `lossFn`. */
function lossAndGrad(lossFn: (z: tf.Tensor2D) => tf.Scalar, logits: tf.Tensor2D, factor = 1): { loss: number; grad: Float32Array } {
    const z = tf.variable(logits, true);
    const { value, grads } = tf.variableGrads(() => tf.mul(lossFn(z), factor) as tf.Scalar, [z]);
    const out = { loss: value.dataSync()[0]! / factor, grad: grads[z.name]!.dataSync() as Float32Array };
    tf.dispose([value, grads[z.name]!, z]);
    return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
    expect(a.length).toBe(b.length);
    return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
}

const cases = [
    { smoothing: 0, weighted: false },
    { smoothing: 0.1, weighted: false },
    { smoothing: 0, weighted: true },
    { smoothing: 0.1, weighted: true }
];

describe.each(['cpu', 'wasm'])('fused softmax crossentropy on %s', (backend) => {
    beforeAll(async () => {
        if (backend === 'wasm') await useWasm();
        else await tf.setBackend('cpu');
    });

    it.each(cases)('gives the loss and gradients of the tfjs formulation (smoothing $smoothing, weights $weighted)', ({ smoothing, weighted }) => {
        for (const seed of [3, 11, 29]) {
            const { logits, labels, weights } = batch(seed);
            const w = weighted ? weights : undefined;
            const ours = lossAndGrad((z) => crossentropy({ logits: z, labels, sampleWeights: w }, smoothing), logits, 0.7);
            const theirs = lossAndGrad((z) => reference(z, labels, w, smoothing), logits, 0.7);
            expect(ours.loss).toBeGreaterThan(0.5);
            expect(Math.abs(ours.loss - theirs.loss)).toBeLessThan(2e-6 * Math.max(1, theirs.loss));
            const largest = Math.max(...Array.from(theirs.grad, Math.abs));
            expect(largest).toBeGreaterThan(1e-3);
            expect(maxAbsDiff(ours.grad, theirs.grad)).toBeLessThan(1e-6);
            // The gradient of a mean crossentropy sums to zero in each row (times Σ targets = 1).
            for (let r = 0; r < ROWS; r++) expect(Math.abs(ours.grad.slice(r * CLASSES, (r + 1) * CLASSES).reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
            tf.dispose([logits, labels, weights]);
        }
    });

    it('keeps soft targets exact (rows that do not sum to one)', () => {
        const { logits } = batch(5);
        const soft = tf.tensor2d(randomValues([ROWS, CLASSES], 6).map((v) => (v + 1) / 3), [ROWS, CLASSES]);
        const ours = lossAndGrad((z) => fusedCrossentropy(z, soft, undefined, 0.1), logits);
        const theirs = lossAndGrad((z) => reference(z, soft, undefined, 0.1), logits);
        expect(Math.abs(ours.loss - theirs.loss)).toBeLessThan(2e-6 * theirs.loss);
        expect(maxAbsDiff(ours.grad, theirs.grad)).toBeLessThan(1e-6);
        tf.dispose([logits, soft]);
    });

    it('matches the hand-computed value of the losses test (no tape recording)', () => {
        const value = crossentropy({ logits: tf.tensor2d([[2, 0, -1], [0.5, 1.5, 0]]), labels: tf.tensor2d([[1, 0, 0], [0, 1, 0]]) });
        expect(value.dataSync()[0]).toBeCloseTo(0.3171074, 6);
    });

    it('runs few kernels: forward and backward of a step', async () => {
        const { logits, labels, weights } = batch(8);
        const z = tf.variable(logits, true);
        const profile = await tf.profile(() => {
            const { value, grads } = tf.variableGrads(() => crossentropy({ logits: z, labels, sampleWeights: weights }, 0.1), [z]);
            tf.dispose([value, grads[z.name]!]);
        });
        const names = profile.kernels.map((k) => k.name);
        // The reference formulation runs about 30 here.
        expect(names.length).toBeLessThanOrEqual(backend === 'wasm' ? 5 : 25);
        if (backend === 'wasm') expect(names).toContain(SOFTMAX_CROSSENTROPY);
        tf.dispose([logits, labels, weights, z]);
    });
});

describe.each(['cpu', 'wasm'])('epoch tally on %s', (backend) => {
    beforeAll(async () => {
        if (backend === 'wasm') await useWasm();
        else await tf.setBackend('cpu');
    });
    afterAll(async () => {
        await tf.setBackend('cpu');
    });

    it('sums loss · batch size and counts argmax hits (first index on ties) as tfjs ops do', async () => {
        const tally = new EpochTally();
        let expectedLoss = 0;
        let expectedHits = 0;
        for (const seed of [2, 4, 6]) {
            const { logits, labels } = batch(seed);
            const loss = tf.scalar(0.25 * seed);
            tally.add(loss, ROWS, logits, labels);
            expectedLoss += 0.25 * seed * ROWS;
            expectedHits += tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(labels, 1)), 'float32')).dataSync()[0]!;
            tf.dispose([logits, labels, loss]);
        }
        // Ties: row 0 has two equal maxima (index 1 wins), matching the label; row 1 does not match.
        const tied = tf.tensor2d([[0, 3, 3], [5, 1, 5]]);
        const tiedLabels = tf.tensor2d([[0, 1, 0], [0, 0, 1]]);
        tally.add(tf.scalar(1), 2, tied, tiedLabels);
        expectedLoss += 2;
        expectedHits += 1;
        // A step without accuracy (a sigmoid head) only adds its loss.
        tally.add(tf.scalar(0.5), 4);
        expectedLoss += 2;
        const { lossSum, correct } = await tally.read();
        expect(expectedHits).toBeGreaterThan(1);
        expect(correct).toBe(expectedHits);
        expect(lossSum).toBeCloseTo(expectedLoss, 4);
        tally.dispose();
        tf.dispose([tied, tiedLabels]);
    });
});
