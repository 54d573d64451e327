// Losses over logits (the model's last dense layer before softmax/sigmoid): computing from
// logits with log-softmax / softplus is exact where Keras' clipped probabilities are not.
// Every loss returns the batch mean of per-sample losses, each sample scaled by its weight
// (class weights from `balance class_weights`), as Keras' `class_weight` does.

import * as tf from '@tensorflow/tfjs';
import type { Activation, LossKind, LossPlan } from '../../core/losses.js';
import { fusedCrossentropy } from './fused-loss.js';

export interface LossInput {
    /** [batch, classes] pre-activation outputs. */
    logits: tf.Tensor2D;
    /** [batch, classes] one-hot (softmax) or multi-hot (sigmoid) targets. */
    labels: tf.Tensor2D;
    /** [batch] per-sample weights; undefined = 1. */
    sampleWeights?: tf.Tensor1D;
}

function weightedMean(perSample: tf.Tensor1D, sampleWeights?: tf.Tensor1D): tf.Scalar {
    return sampleWeights ? tf.mean(tf.mul(perSample, sampleWeights)) : tf.mean(perSample);
}

/**
 * Softmax crossentropy; smoothing s mixes the targets with the uniform distribution: y(1-s) + s/C.
 * The weighted mean of -Σ_c t_c log softmax(logits)_c, computed with its gradient in one kernel
 * (fused-loss.ts): the step of a dense head is mostly kernel dispatches otherwise.
 */
export function crossentropy({ logits, labels, sampleWeights }: LossInput, smoothing = 0): tf.Scalar {
    return fusedCrossentropy(logits, labels, sampleWeights, smoothing);
}

/** Elementwise -[y log σ(x) + (1-y) log(1-σ(x))] in the stable form max(x,0) - xy + log(1+e^-|x|). */
function binaryTerms(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))) as tf.Tensor2D;
}

/** Sigmoid crossentropy, averaged over classes then over the batch (Keras' convention). */
export function binaryCrossentropy({ logits, labels, sampleWeights }: LossInput): tf.Scalar {
    return tf.tidy(() => weightedMean(tf.mean(binaryTerms(logits, labels), 1) as tf.Tensor1D, sampleWeights));
}

/**
 * Focal loss (Lin et al. 2017): crossentropy scaled by (1 - p_t)^γ so that easy examples count less.
 * Softmax: -Σ_c α·y_c·(1-p_c)^γ·log p_c (α a plain factor). Sigmoid: per class with
 * α_t = α·y + (1-α)·(1-y), averaged over classes. alpha undefined = no α weighting.
 */
export function focal(input: LossInput, activation: 'softmax' | 'sigmoid', gamma: number, alpha?: number): tf.Scalar {
    const { logits, labels, sampleWeights } = input;
    return tf.tidy(() => {
        if (activation === 'softmax') {
            const logP = tf.logSoftmax(logits);
            const modulator = tf.pow(tf.sub(1, tf.exp(logP)), gamma);
            let perSample = tf.neg(tf.sum(tf.mul(tf.mul(labels, modulator), logP), 1)) as tf.Tensor1D;
            if (alpha !== undefined) perSample = tf.mul(perSample, alpha);
            return weightedMean(perSample, sampleWeights);
        }
        const p = tf.sigmoid(logits);
        const pT = tf.add(tf.mul(labels, p), tf.mul(tf.sub(1, labels), tf.sub(1, p)));
        let terms = tf.mul(tf.pow(tf.sub(1, pT), gamma), binaryTerms(logits, labels));
        if (alpha !== undefined) terms = tf.mul(terms, tf.add(tf.mul(labels, alpha), tf.mul(tf.sub(1, labels), 1 - alpha)));
        return weightedMean(tf.mean(terms, 1) as tf.Tensor1D, sampleWeights);
    });
}

type PlanOf<K extends LossKind> = Extract<LossPlan, { kind: K }>;

/**
 * The implementation of every loss in the registry (src/core/losses.ts); typed by its kinds, so
 * a loss added there without one here does not compile. `exported`: the Python projects of
 * `graft export` implement it too (src/runtime/export/{pytorch,keras}/runtime-code.ts); a loss
 * without is refused by the export with its name.
 */
export const LOSS_IMPLEMENTATIONS: { [K in LossKind]: { compute: (plan: PlanOf<K>, activation: Activation, input: LossInput) => tf.Scalar; exported: boolean } } = {
    crossentropy: { compute: (plan, _activation, input) => crossentropy(input, plan.smoothing), exported: true },
    binary_crossentropy: { compute: (_plan, _activation, input) => binaryCrossentropy(input), exported: true },
    focal: { compute: (plan, activation, input) => focal(input, activation, plan.gamma, plan.alpha), exported: true }
};

export function loss(plan: LossPlan, activation: Activation, input: LossInput): tf.Scalar {
    const impl = LOSS_IMPLEMENTATIONS[plan.kind] as { compute: (plan: LossPlan, activation: Activation, input: LossInput) => tf.Scalar };
    return impl.compute(plan, activation, input);
}

export interface HeadLossInput extends LossInput {
    plan: LossPlan;
    activation: 'softmax' | 'sigmoid';
    weight: number;
}

/** Multi-task: Σ weight_h · loss_h over the named heads. */
export function multiTaskLoss(heads: HeadLossInput[]): tf.Scalar {
    return tf.tidy(() => heads.map((h) => tf.mul(loss(h.plan, h.activation, h), h.weight) as tf.Scalar).reduce((a, b) => tf.add(a, b)));
}

/**
 * Balanced class weights n / (C · n_c) (scikit-learn's "balanced"); a class with no training
 * images gets weight 0 so it cannot divide by zero.
 */
export function classWeights(counts: number[]): number[] {
    const n = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => (c > 0 ? n / (counts.length * c) : 0));
}

/** Per-sample weights for one-hot labels: each sample takes the weight of its class. */
export function sampleWeightsFor(labels: tf.Tensor2D, weights: number[]): tf.Tensor1D {
    return tf.tidy(() => tf.sum(tf.mul(labels, tf.tensor1d(weights)), 1) as tf.Tensor1D);
}
