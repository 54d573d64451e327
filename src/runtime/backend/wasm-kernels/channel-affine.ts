// Per-channel affine maps (y = x · a[c] + b[c] over NHWC-like tensors) on wasm through XNNPACK's
// depthwise convolution: a 1x1 depthwise filter is a per-channel multiplier and its bias a
// per-channel offset, so one FusedDepthwiseConv2D streams the tensor at SIMD speed.
//
// FusedBatchNorm: the native kernel walks the tensor with per-element modulo indexing, ≈5 ns per
// element (8.3 ms for a 64x28x28x32 batch, small_cnn's first batchnorm). As x · coef + shift with
// coef = γ / √(var + ε) and shift = β - μ · coef, it takes 0.5 ms. The result differs from the
// cpu backend's (x - μ) · γ / √(var + ε) + β by float rounding only (≈1e-7 relative to the larger
// of |x · coef| and |shift|).
import * as tf from '@tensorflow/tfjs';
import { registerDirect } from './composite.js';
import { heapBackend } from './heap.js';

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend };

/** A view of `t` with another shape (same data; kernels do not dispose their inputs). */
function view(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * y = x · a + b per channel (last axis) via the original FusedDepthwiseConv2D; `a` and `b` are
 * [c] float32 tensors of the backend. The output has x's shape.
 */
export function channelAffine(x: tf.TensorInfo, a: tf.TensorInfo, b: tf.TensorInfo | undefined, backend: tf.KernelBackend): tf.TensorInfo {
    const c = x.shape[x.shape.length - 1]!;
    const rows = x.shape.reduce((p, d) => p * d, 1) / c;
    const kernel = tf.getKernel('FusedDepthwiseConv2D', 'wasm');
    if (kernel === undefined) throw new Error('wasm has no FusedDepthwiseConv2D kernel');
    const out = kernel.kernelFunc({
        inputs: { x: view(x, [1, rows, 1, c]), filter: view(a, [1, 1, c, 1]), ...(b === undefined ? {} : { bias: view(b, [c]) }) },
        attrs: { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', activation: 'linear' },
        backend
    }) as tf.TensorInfo;
    return view(out, [...x.shape]);
}

function size(t: tf.TensorInfo | undefined): number {
    return t === undefined ? 0 : t.shape.reduce((p, d) => p * d, 1);
}

export function fusedBatchNorm(args: Args, original: tf.KernelFunc): tf.TensorInfo {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const c = x!.shape[x!.shape.length - 1] ?? 0;
    // Per-channel (size c) or scalar (size 1) parameters, as the cpu kernel's modulo indexing reads them.
    const fits = (t: tf.TensorInfo | undefined) => t === undefined || t === null || ((size(t) === c || size(t) === 1) && t.dtype === 'float32');
    if (x!.dtype !== 'float32' || x!.shape.length < 1 || c === 0 || !fits(mean) || !fits(variance) || !fits(offset) || !fits(scale)) {
        return original(args) as tf.TensorInfo;
    }
    const eps = Number(args.attrs['varianceEpsilon']);
    const heap = heapBackend(args.backend);
    const coefInfo = heap.makeOutput([c], 'float32');
    const shiftInfo = heap.makeOutput([c], 'float32');
    const read = (t: tf.TensorInfo | undefined) => (t === undefined || t === null ? undefined : (heap.typedArrayFromHeap(t) as Float32Array));
    const [mu, v, beta, gamma] = [read(mean), read(variance), read(offset), read(scale)];
    const coef = heap.typedArrayFromHeap(coefInfo) as Float32Array;
    const shift = heap.typedArrayFromHeap(shiftInfo) as Float32Array;
    const at = (a: Float32Array | undefined, k: number, fallback: number) => (a === undefined ? fallback : a[a.length === 1 ? 0 : k]!);
    for (let k = 0; k < c; k++) {
        const ck = at(gamma, k, 1) / Math.sqrt(at(v, k, 0) + eps);
        coef[k] = ck;
        shift[k] = at(beta, k, 0) - at(mu, k, 0) * Math.fround(ck);
    }
    const out = channelAffine(x!, coefInfo, shiftInfo, args.backend);
    args.backend.disposeData(coefInfo.dataId);
    args.backend.disposeData(shiftInfo.dataId);
    return out;
}

/** Below this many elements the native broadcast is as fast (and allocates nothing). */
export const BROADCAST_MIN_SIZE = 16_384;

/** [c] or [1, ..., 1, c] with c = the full operand's last axis. */
function isChannelVector(v: tf.TensorInfo, full: tf.TensorInfo): boolean {
    const c = full.shape[full.shape.length - 1]!;
    if (v.shape.length === 0 || v.shape.length > full.shape.length || v.shape[v.shape.length - 1] !== c) return false;
    return v.shape.slice(0, -1).every((d) => d === 1);
}

/** A temporary [c] tensor filled with a number, or with sign · the values of another c-element tensor. */
function vector(backend: tf.KernelBackend, c: number, fill: number | tf.TensorInfo, sign = 1): tf.TensorInfo {
    const heap = heapBackend(backend);
    const t = heap.makeOutput([c], 'float32');
    // Views after the allocation, which can replace the heap's buffer.
    const dst = heap.typedArrayFromHeap(t) as Float32Array;
    if (typeof fill === 'number') dst.fill(fill);
    else {
        const src = heap.typedArrayFromHeap(fill) as Float32Array;
        for (let k = 0; k < c; k++) dst[k] = sign * src[k]!;
    }
    return t;
}

/**
 * Multiply, Add and Sub of a tensor and a channel vector: the native kernels broadcast with
 * per-element index arithmetic (≈1-2 ns per element: 1.4 ms for a Multiply over 64x28x28x32,
 * 2.5 ms for a Sub); as a channel-affine map 0.5 ms. Exact: x · v, x · 1 + v, x · 1 + (-v)
 * and x · (-1) + v round once, like the native ops. Batchnorm (moments, its gradient) is made of
 * these.
 */
function broadcastKernel(op: 'Multiply' | 'Add' | 'Sub') {
    return (args: Args, original: tf.KernelFunc): tf.TensorInfo => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args) as tf.TensorInfo;
        const aFull = size(a) >= BROADCAST_MIN_SIZE && size(a) > size(b) && isChannelVector(b, a);
        const bFull = !aFull && size(b) >= BROADCAST_MIN_SIZE && size(b) > size(a) && isChannelVector(a, b);
        if (!aFull && !bFull) return original(args) as tf.TensorInfo;
        const [full, vec] = aFull ? [a, b] : [b, a];
        const c = full.shape[full.shape.length - 1]!;
        const backend = args.backend;
        if (op === 'Multiply') return channelAffine(full, view(vec, [c]), undefined, backend);
        // The native kernel reads the bias's shape from its own records, so it must be rank 1.
        const temps: tf.TensorInfo[] = [];
        const temp = (t: tf.TensorInfo) => (temps.push(t), t);
        const scaleBy = temp(vector(backend, c, op === 'Sub' && !aFull ? -1 : 1)); // v - full = full · (-1) + v
        const negate = op === 'Sub' && aFull; // full - v = full · 1 + (-v)
        const offset = negate || vec.shape.length !== 1 ? temp(vector(backend, c, vec, negate ? -1 : 1)) : vec;
        const out = channelAffine(full, scaleBy, offset, backend);
        for (const t of temps) backend.disposeData(t.dataId);
        return out;
    };
}

export function registerChannelAffine(): void {
    registerDirect('FusedBatchNorm', fusedBatchNorm);
    for (const op of ['Multiply', 'Add', 'Sub'] as const) registerDirect(op, broadcastKernel(op));
}
