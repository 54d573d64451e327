// Each loss against values computed by hand from its definition.
// Sample A: logits [2, 0, -1], class 0. Sample B: logits [0.5, 1.5, 0], class 1.
// log-softmax(A)[0] = 2 - ln(e² + 1 + e⁻¹) = -0.1698460; log-softmax(B)[1] = 1.5 - ln(e^0.5 + e^1.5 + 1) = -0.4643688.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryCrossentropy, classWeights, crossentropy, focal, multiTaskLoss, sampleWeightsFor } from '../../src/runtime/train/losses.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

const logits = () => tf.tensor2d([[2, 0, -1], [0.5, 1.5, 0]]);
const labels = () => tf.tensor2d([[1, 0, 0], [0, 1, 0]]);
const value = (t: tf.Scalar): number => t.dataSync()[0];

describe('softmax losses', () => {
    it('crossentropy is the mean of -log p_true', () => {
        // (0.1698460 + 0.4643688) / 2
        expect(value(crossentropy({ logits: logits(), labels: labels() }))).toBeCloseTo(0.3171074, 5);
    });
    it('label smoothing 0.1 mixes targets with 1/C', () => {
        // targets 0.9333, 0.0333, 0.0333; A: -(0.9333·-0.16985 + 0.0333·-2.16985 + 0.0333·-3.16985) = 0.336315;
        // B: 0.547900 → mean 0.4421074
        expect(value(crossentropy({ logits: logits(), labels: labels() }, 0.1))).toBeCloseTo(0.4421074, 5);
    });
    it('class weights scale each sample by its class weight', () => {
        const w = sampleWeightsFor(labels(), [1, 3, 2]);
        expect(Array.from(w.dataSync())).toEqual([1, 3]);
        // (1·0.1698460 + 3·0.4643688) / 2
        expect(value(crossentropy({ logits: logits(), labels: labels(), sampleWeights: w }))).toBeCloseTo(0.7814762, 5);
    });
    it('balanced class weights are n / (C · n_c)', () => {
        expect(classWeights([30, 10, 0])).toEqual([40 / 90, 40 / 30, 0]);
    });
    it('focal multiplies by (1 - p_true)^γ and α', () => {
        // p_A = e^-0.169846 = 0.843795, (1-p)² = 0.0244; p_B = 0.628532, (1-p)² = 0.137988
        // (0.024400·0.169846 + 0.137988·0.464369) / 2 = 0.0341109
        expect(value(focal({ logits: logits(), labels: labels() }, 'softmax', 2))).toBeCloseTo(0.0341109, 5);
        expect(value(focal({ logits: logits(), labels: labels() }, 'softmax', 2, 0.25))).toBeCloseTo(0.0085277, 5);
        // γ = 0 is plain crossentropy
        expect(value(focal({ logits: logits(), labels: labels() }, 'softmax', 0))).toBeCloseTo(0.3171074, 5);
    });
});

describe('sigmoid losses', () => {
    // logits [[1, -2], [0, 3]], targets [[1, 0], [0, 1]]:
    // -ln σ(1) = 0.313262, -ln(1-σ(-2)) = 0.126928, -ln(1-σ(0)) = 0.693147, -ln σ(3) = 0.048587
    const x = () => tf.tensor2d([[1, -2], [0, 3]]);
    const y = () => tf.tensor2d([[1, 0], [0, 1]]);
    it('binary crossentropy averages over classes then samples', () => {
        expect(value(binaryCrossentropy({ logits: x(), labels: y() }))).toBeCloseTo(0.2954811, 5);
    });
    it('binary focal uses p_t and α_t', () => {
        // α_t(1-p_t)²·bce: 0.25·0.072329·0.313262, 0.75·0.014200·0.126928, 0.75·0.25·0.693147, 0.25·0.002254·0.048587
        expect(value(focal({ logits: x(), labels: y() }, 'sigmoid', 2, 0.25))).toBeCloseTo(0.0342524, 5);
    });
    it('multi-task loss is the weighted sum of the heads', () => {
        const total = multiTaskLoss([
            { logits: logits(), labels: labels(), plan: { kind: 'crossentropy', smoothing: 0 }, activation: 'softmax', weight: 1 },
            { logits: x(), labels: y(), plan: { kind: 'binary_crossentropy' }, activation: 'sigmoid', weight: 0.5 }
        ]);
        expect(value(total)).toBeCloseTo(0.3171074 + 0.5 * 0.2954811, 5);
    });
});
