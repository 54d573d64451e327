// Element-wise work broadcast along the channel (last) axis, natively: the binary ops of a
// BatchNorm in training mode and its gradient (x - mean, x * invStd, ...) and the inference
// FusedBatchNorm. wasm's broadcasting binary kernels take 3-5 ns per element here, which made
// BatchNorm half of a small_cnn training step once the convolutions ran on oneDNN.
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { registerNative, type NativeKernelFunc } from './register.js';
import { withOutput } from './run-native.js';
import { allFloat32 } from './wasm-heap.js';

const FULL = 0;
const PER_CHANNEL = 1;
const SCALAR = 2;

/** How `t` is read against an output of `outShape`: full, per channel, scalar, or not at all (undefined). */
export function operandMode(t: tf.TensorInfo, outShape: number[]): number | undefined {
    const size = tf.util.sizeFromShape(t.shape);
    if (size === 1) return SCALAR;
    if (tf.util.arraysEqual(t.shape, outShape)) return FULL;
    const channels = outShape[outShape.length - 1];
    if (t.shape.length <= outShape.length && size === channels && t.shape[t.shape.length - 1] === channels) return PER_CHANNEL;
    return undefined;
}

const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

function binary(addon: NativeAddon, op: number): NativeKernelFunc {
    return ({ inputs, backend }) => {
        const { a, b } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (a === undefined || b === undefined || !allFloat32([a, b])) return undefined;
        // Operands of one shape already take wasm's fast path; here only the broadcasts.
        if (tf.util.arraysEqual(a.shape, b.shape)) return undefined;
        const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
        const total = tf.util.sizeFromShape(outShape);
        const channels = outShape[outShape.length - 1] ?? 1;
        const am = operandMode(a, outShape);
        const bm = operandMode(b, outShape);
        if (am === undefined || bm === undefined || (am !== FULL && bm !== FULL) || total === 0) return undefined;
        const shape = Float64Array.from([op, total, channels, am, bm]);
        return withOutput(backend, outShape, [a, b], (heap, off) => addon.binary(heap, shape, off));
    };
}

function batchNorm(addon: NativeAddon): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (x === undefined || mean === undefined || variance === undefined || !allFloat32([x, mean, variance, offset, scale])) return undefined;
        const total = tf.util.sizeFromShape(x.shape);
        if (total === 0 || x.shape.length === 0) return undefined;
        const modes = [mean, variance, offset, scale].map((t) => (t === undefined ? -1 : operandMode(t, x.shape)));
        // Parameters are per channel or scalars, never full tensors.
        if (modes.some((m) => m === undefined || m === FULL)) return undefined;
        const shape = Float64Array.from([total, x.shape[x.shape.length - 1]!, ...(modes as number[])]);
        const eps = Number(attrs['varianceEpsilon'] ?? 0.001);
        return withOutput(backend, x.shape, [x, mean, variance, offset, scale], (heap, off) => addon.batchNorm(heap, shape, off, eps));
    };
}

export function registerNativeChannelwise(addon: NativeAddon): void {
    for (const [name, op] of Object.entries(BINARY_OPS)) registerNative(name, binary(addon, op));
    registerNative('FusedBatchNorm', batchNorm(addon));
}
