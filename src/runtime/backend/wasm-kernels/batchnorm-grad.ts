// The gradient of FusedBatchNorm (batchnorm with per-channel mean, variance, scale) on wasm from
// two per-channel sums. tfjs computes it with ~20 kernels, ten of them over the whole activation (a Tile of
// 1/sqrt(var) to the activation's shape among them); training-mode batchnorm then also
// backpropagates through the batch moments. Ours needs per-channel sums of dy and dy·(x - mean),
// then dx = dy · scale / sqrt(var + ε); the other four gradients are per-channel formulas of the
// sums:
//   dOffset = Σdy, dScale = r·Σdy(x-μ), dMean = -r·γ·Σdy, dVar = -½·r³·γ·Σdy(x-μ), r = 1/√(var+ε).
//
// Small activations (MobileNet's 3x3 tail) get one kernel making two passes over the heap: there
// the engine's per-kernel overhead dominates. Large ones (small_cnn's 28x28 maps) get five native
// whole-tensor kernels, ≈4x faster per element than a JavaScript loop.
//
// As for the activations (activation-grads.ts), tfjs' gradient function stays in use on other
// backends and for layouts this does not handle (broadcast-shaped moments, no scale).
import * as tf from '@tensorflow/tfjs';
import { overrideGradient } from '../gradient-override.js';
import { heapBackend } from './heap.js';

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend };

const BATCHNORM_GRAD = 'GraftBatchNormGrad';

function batchNormGrad(args: Args): tf.TensorInfo[] {
    const { dy, x, mean, variance, scale } = args.inputs as Record<string, tf.TensorInfo>;
    const eps = Number(args.attrs['varianceEpsilon']);
    const c = mean!.shape[0]!;
    const heap = heapBackend(args.backend);
    const dxOut = heap.makeOutput([...x!.shape], 'float32');
    const small = [0, 1, 2, 3].map(() => heap.makeOutput([c], 'float32'));
    // Views only after the last allocation (allocating can replace the heap's buffer).
    const view = (t: tf.TensorInfo) => heap.typedArrayFromHeap(t) as Float32Array;
    const g = view(dy!);
    const xv = view(x!);
    const mu = view(mean!);
    const v = view(variance!);
    const gamma = view(scale!);
    const dx = view(dxOut);
    const [dMean, dVar, dScale, dOffset] = small.map(view) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const sumDy = new Float64Array(c);
    const sumDyX = new Float64Array(c);
    const rows = g.length / c;
    for (let i = 0; i < rows; i++) {
        const base = i * c;
        for (let k = 0; k < c; k++) {
            const d = g[base + k]!;
            sumDy[k] += d;
            sumDyX[k] += d * (xv[base + k]! - mu[k]!);
        }
    }
    const coef = new Float32Array(c);
    for (let k = 0; k < c; k++) {
        const r = 1 / Math.sqrt(v[k]! + eps);
        const s = gamma[k]!;
        coef[k] = s * r;
        dOffset[k] = sumDy[k]!;
        dScale[k] = r * sumDyX[k]!;
        dMean[k] = -r * s * sumDy[k]!;
        dVar[k] = -0.5 * r * r * r * s * sumDyX[k]!;
    }
    for (let i = 0; i < rows; i++) {
        const base = i * c;
        for (let k = 0; k < c; k++) dx[base + k] = g[base + k]! * coef[k]!;
    }
    return [dxOut, ...small];
}

/**
 * Element count up to which the one-kernel loop beats the composite below: measured 0.4 vs 1.2 ms
 * at 32k elements, 1.7 vs 0.8 ms at 97k (the loop costs ≈4-8 ns per element).
 */
export const BATCHNORM_LOOP_LIMIT = 50_000;

export interface BatchNormGrads {
    dx: tf.Tensor;
    dMean: tf.Tensor;
    dVar: tf.Tensor;
    dScale: tf.Tensor;
    dOffset: tf.Tensor;
}

/** The same gradients with five whole-activation kernels (XNNPACK-speed), for large activations. */
export function batchNormGradComposite(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor, eps: number): BatchNormGrads {
    const c = mean.shape[0]!;
    const rows = x.size / c;
    const r = tf.rsqrt(tf.add(variance, eps));
    const coef = tf.mul(scale, r);
    const sumDy = tf.sum(tf.reshape(dy, [rows, c]), 0);
    const sumDyX = tf.sum(tf.reshape(tf.mul(dy, tf.sub(x, mean)), [rows, c]), 0);
    return {
        dx: tf.mul(dy, coef),
        dMean: tf.neg(tf.mul(coef, sumDy)),
        dVar: tf.mul(tf.mul(tf.mul(coef, tf.square(r)), sumDyX), -0.5),
        dScale: tf.mul(r, sumDyX),
        dOffset: sumDy
    };
}

export function batchNormGradLoop(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor, eps: number): BatchNormGrads {
    const [dx, dMean, dVar, dScale, dOffset] = tf.engine().runKernel(BATCHNORM_GRAD, { dy, x, mean, variance, scale }, { varianceEpsilon: eps }) as unknown as tf.Tensor[];
    return { dx: dx!, dMean: dMean!, dVar: dVar!, dScale: dScale!, dOffset: dOffset! };
}

let registered = false;

export function registerBatchNormGrad(): void {
    if (registered) return;
    registered = true;
    tf.registerKernel({ kernelName: BATCHNORM_GRAD, backendName: 'wasm', kernelFunc: batchNormGrad as unknown as tf.KernelFunc });
    overrideGradient('FusedBatchNorm', (original) => (dy, saved, attrs) => {
        const g = dy as tf.Tensor;
        const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const c = x.shape[x.rank - 1]!;
        const perChannel = (t: tf.Tensor | undefined) => t !== undefined && t !== null && t.rank === 1 && t.shape[0] === c && t.dtype === 'float32';
        if (tf.getBackend() !== 'wasm' || g.dtype !== 'float32' || x.dtype !== 'float32' || x.rank < 2 || !perChannel(mean) || !perChannel(variance) || !perChannel(scale)) {
            return original(dy, saved, attrs);
        }
        // All five at once (backprop then asks for them one by one, inside its own tidy).
        const eps = Number(attrs['varianceEpsilon']);
        const grads = (x.size <= BATCHNORM_LOOP_LIMIT ? batchNormGradLoop : batchNormGradComposite)(g, x, mean, variance, scale!, eps);
        return { x: () => grads.dx, mean: () => grads.dMean, variance: () => grads.dVar, scale: () => grads.dScale, offset: () => grads.dOffset };
    });
}
