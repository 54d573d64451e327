// The gradient-reversal layer of DANN (Ganin & Lempitsky 2015): identity on the way forward,
// −λ·gradient on the way back. Behind it, a domain classifier learns to tell source from target
// features, while the backbone receives the reversed gradient and so learns features the
// classifier cannot separate.

import * as tf from '@tensorflow/tfjs';

/** y = x forward; dL/dx = −λ·dL/dy backward. */
export function gradientReversal<T extends tf.Tensor>(x: T, lambda: number): T {
    if (!Number.isFinite(lambda) || lambda < 0) throw new Error(`gradient reversal: λ must be a finite number ≥ 0, got ${lambda}`);
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const input = args[0] as tf.Tensor;
        return {
            value: tf.clone(input),
            gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda)
        };
    });
    return op(x) as T;
}

/**
 * DANN's schedule for λ over training progress p ∈ [0, 1]: 2/(1 + e^(−10p)) − 1, rising from 0 to
 * ≈1, so the noisy domain signal of the first steps does not disturb the features.
 */
export function dannRamp(progress: number): number {
    const p = Math.min(1, Math.max(0, progress));
    return 2 / (1 + Math.exp(-10 * p)) - 1;
}
