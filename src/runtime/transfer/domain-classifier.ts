// DANN's domain classifier: a small MLP (d → hidden ReLU → 1 logit) that tells source (0) from
// target (1) features. It sits behind the gradient-reversal op, so its own weights minimise the
// domain loss while the backbone is pushed to maximise it. Plain variables (not a layers model):
// it exists only during training and is never exported. Initialised from a seeded generator
// (Glorot uniform), so `seed` repeats a run.

import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../data/prng.js';
import { gradientReversal } from './gradient-reversal.js';

export const DOMAIN_HIDDEN_UNITS = 64;

let instances = 0;

function glorot(rows: number, cols: number, rng: () => number): Float32Array {
    const limit = Math.sqrt(6 / (rows + cols));
    return Float32Array.from({ length: rows * cols }, () => (rng() * 2 - 1) * limit);
}

export class DomainClassifier {
    readonly w1: tf.Variable;
    readonly b1: tf.Variable;
    readonly w2: tf.Variable;
    readonly b2: tf.Variable;

    constructor(readonly inputDim: number, seed: number, readonly hidden = DOMAIN_HIDDEN_UNITS) {
        if (!(inputDim >= 1)) throw new Error(`domain classifier: feature dimension must be ≥ 1, got ${inputDim}`);
        const rng = mulberry32(seed);
        const id = instances++;
        // Unique names: the optimizer matches gradients to variables by name.
        this.w1 = tf.variable(tf.tensor2d(glorot(inputDim, hidden, rng), [inputDim, hidden]), true, `graft_domain_${id}_w1`);
        this.b1 = tf.variable(tf.zeros([hidden]), true, `graft_domain_${id}_b1`);
        this.w2 = tf.variable(tf.tensor2d(glorot(hidden, 1, rng), [hidden, 1]), true, `graft_domain_${id}_w2`);
        this.b2 = tf.variable(tf.zeros([1]), true, `graft_domain_${id}_b2`);
    }

    get variables(): tf.Variable[] {
        return [this.w1, this.b1, this.w2, this.b2];
    }

    /** Domain logits [n, 1] of features [n, d]. */
    logits(features: tf.Tensor2D): tf.Tensor2D {
        return tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(features, this.w1), this.b1)), this.w2), this.b2) as tf.Tensor2D);
    }

    /**
     * DANN's domain loss: the mean binary cross-entropy of telling source (label 0) from target
     * (label 1), with the features passed through gradient reversal of strength λ.
     */
    loss(source: tf.Tensor2D, target: tf.Tensor2D, lambda: number): tf.Scalar {
        return tf.tidy(() => {
            const features = gradientReversal(tf.concat([source, target], 0) as tf.Tensor2D, lambda);
            const labels = tf.concat([tf.zeros([source.shape[0], 1]), tf.ones([target.shape[0], 1])], 0);
            return tf.losses.sigmoidCrossEntropy(labels, this.logits(features)) as tf.Scalar;
        });
    }

    dispose(): void {
        tf.dispose(this.variables);
    }
}
