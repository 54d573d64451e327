// Domain-adaptation losses on pooled backbone features ([n, d] source and [m, d] target batches).
// Both are differentiable tfjs expressions, so they join the classification loss inside the
// training step and their gradients reach the backbone.
//
// CORAL (Sun & Saenko 2016): ‖C_s − C_t‖²_F / (4d²), where C is the unbiased (n−1) feature
// covariance of a batch.
//
// MMD (Gretton et al. 2012; multi-kernel as in Long et al. 2015, DAN): the squared maximum mean
// discrepancy with a sum of Gaussian kernels k(x, y) = Σ_σ exp(−‖x−y‖² / (2σ²)), BIASED estimator
// (V-statistic: diagonal terms included), which is never negative and stable on small batches:
//   MMD² = mean(K_ss) + mean(K_tt) − 2·mean(K_st).
// Bandwidths: by default σ² ∈ {¼, ½, 1, 2, 4} × the mean pairwise squared distance of the joint
// batch (computed without gradient), so the kernels follow the features' scale as training moves
// it; fixed σ² values can be given instead (tests, experiments).

import * as tf from '@tensorflow/tfjs';

/** Multipliers of the mean pairwise squared distance that give the default MMD bandwidths σ². */
export const MMD_BANDWIDTH_FACTORS: readonly number[] = [0.25, 0.5, 1, 2, 4];

function requireFeatures(name: string, source: tf.Tensor, target: tf.Tensor): void {
    if (source.rank !== 2 || target.rank !== 2) {
        throw new Error(`${name}: features must be [batch, d] matrices, got [${source.shape}] and [${target.shape}]`);
    }
    if (source.shape[1] !== target.shape[1]) {
        throw new Error(`${name}: source features have ${source.shape[1]} dimensions, target features ${target.shape[1]}`);
    }
}

/** Unbiased covariance [d, d] of the rows of x ([n, d], n ≥ 2). */
export function covariance(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
        const n = x.shape[0];
        if (n < 2) throw new Error(`covariance needs at least 2 samples, got ${n}`);
        const centred = tf.sub(x, tf.mean(x, 0, true));
        return tf.div(tf.matMul(centred, centred, true, false), n - 1) as tf.Tensor2D;
    });
}

/** CORAL loss ‖C_s − C_t‖²_F / (4d²). */
export function coralLoss(source: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    requireFeatures('CORAL', source, target);
    return tf.tidy(() => {
        const d = source.shape[1];
        const diff = tf.sub(covariance(source), covariance(target));
        return tf.div(tf.sum(tf.square(diff)), 4 * d * d) as tf.Scalar;
    });
}

/** Pairwise squared Euclidean distances [n, m] between the rows of a and b (clamped at 0). */
export function pairwiseSquaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
        const aa = tf.sum(tf.square(a), 1, true); // [n, 1]
        const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]); // [1, m]
        const ab = tf.matMul(a, b, false, true); // [n, m]
        return tf.relu(tf.add(tf.sub(aa, tf.mul(ab, 2)), bb)) as tf.Tensor2D;
    });
}

export interface MmdOptions {
    /** Fixed σ² values; default: MMD_BANDWIDTH_FACTORS × the mean pairwise squared distance of the joint batch. */
    sigmas2?: number[];
}

/** The σ² values MMD uses for this pair of batches (plain numbers; no gradient flows through them). */
export function mmdBandwidths(source: tf.Tensor2D, target: tf.Tensor2D, options: MmdOptions = {}): number[] {
    if (options.sigmas2) {
        if (options.sigmas2.length === 0 || options.sigmas2.some((s) => !(s > 0))) throw new Error(`MMD bandwidths must be positive, got [${options.sigmas2}]`);
        return options.sigmas2;
    }
    const meanSq = tf.tidy(() => {
        const joint = tf.concat([source, target], 0) as tf.Tensor2D;
        const n = joint.shape[0];
        const d = pairwiseSquaredDistances(joint, joint);
        // Off-diagonal mean: the diagonal is zero by construction.
        return tf.div(tf.sum(d), Math.max(1, n * n - n)).dataSync()[0];
    });
    // Identical points (e.g. collapsed features) would give σ² = 0; fall back to a unit scale.
    const base = meanSq > 1e-12 ? meanSq : 1;
    return MMD_BANDWIDTH_FACTORS.map((f) => f * base);
}

function kernelMean(a: tf.Tensor2D, b: tf.Tensor2D, sigmas2: number[]): tf.Scalar {
    return tf.tidy(() => {
        const d = pairwiseSquaredDistances(a, b);
        const k = tf.addN(sigmas2.map((s2) => tf.exp(tf.div(d, -2 * s2))));
        return tf.mean(k);
    });
}

/** Biased multi-kernel MMD² between two batches of features. */
export function mmdLoss(source: tf.Tensor2D, target: tf.Tensor2D, options: MmdOptions = {}): tf.Scalar {
    requireFeatures('MMD', source, target);
    const sigmas2 = mmdBandwidths(source, target, options);
    return tf.tidy(() => {
        const ss = kernelMean(source, source, sigmas2);
        const tt = kernelMean(target, target, sigmas2);
        const st = kernelMean(source, target, sigmas2);
        return tf.sub(tf.add(ss, tt), tf.mul(st, 2)) as tf.Scalar;
    });
}

/** Global average pooling of a backbone output ([b, h, w, c] → [b, c]); [b, d] passes through. */
export function poolFeatures(features: tf.Tensor): tf.Tensor2D {
    if (features.rank === 4) return tf.mean(features, [1, 2]) as tf.Tensor2D;
    if (features.rank === 2) return features as tf.Tensor2D;
    return tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D;
}
