// Matrix products on oneDNN's sgemm: BatchMatMul with either operand transposed (the dense
// gradients), and _FusedMatMul with its bias and activation applied in the same call.
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { ACTIVATION_CODES } from './conv.js';
import { registerNative, type NativeKernelFunc } from './register.js';
import { withOutput } from './run-native.js';
import { allFloat32 } from './wasm-heap.js';

interface Plan {
    outShape: number[];
    /** [batch, m, n, k, transA, transB, aBatchStride, bBatchStride, hasBias, biasSize, act] */
    shape: Float64Array;
}

/**
 * The product's geometry, or undefined for batch shapes that broadcast other than "equal" or
 * "one side has none" (left to the wasm kernel).
 */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean, bias: tf.TensorInfo | undefined, act: number): Plan | undefined {
    if (a.shape.length < 2 || b.shape.length < 2) return undefined;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = transB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb || m === 0 || n === 0) return undefined;
    const batchShapeA = a.shape.slice(0, -2);
    const batchShapeB = b.shape.slice(0, -2);
    const batchA = tf.util.sizeFromShape(batchShapeA);
    const batchB = tf.util.sizeFromShape(batchShapeB);
    let batch: number;
    let rows = m;
    let aStride = m * k;
    let bStride = k * n;
    let batchShape: number[];
    if (tf.util.arraysEqual(batchShapeA, batchShapeB)) {
        batch = batchA;
        batchShape = batchShapeA;
    } else if (batchB === 1 && batchShapeB.length <= batchShapeA.length) {
        batchShape = batchShapeA;
        batch = batchA;
        bStride = 0;
        // One weight matrix for every row block: a single taller product when a is not transposed.
        if (!transA) {
            rows = batchA * m;
            batch = 1;
        }
    } else if (batchA === 1 && batchShapeA.length <= batchShapeB.length) {
        batchShape = batchShapeB;
        batch = batchB;
        aStride = 0;
    } else {
        return undefined;
    }
    let biasSize = 0;
    if (bias !== undefined) {
        biasSize = tf.util.sizeFromShape(bias.shape);
        // A bias along the last axis (or a scalar): anything else broadcasts in ways left to wasm.
        const lastAxis = bias.shape.length === 0 || bias.shape.slice(0, -1).every((d) => d === 1);
        if (!lastAxis || (biasSize !== n && biasSize !== 1)) return undefined;
    }
    return {
        outShape: [...batchShape, m, n],
        shape: Float64Array.from([batch, rows, n, k, transA ? 1 : 0, transB ? 1 : 0, aStride, bStride, bias ? 1 : 0, biasSize, act])
    };
}

function product(addon: NativeAddon, fused: boolean): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (a === undefined || b === undefined || !allFloat32([a, b, bias])) return undefined;
        const act = fused ? ACTIVATION_CODES[String(attrs['activation'] ?? 'linear')] : 0;
        if (act === undefined || preluActivationWeights !== undefined) return undefined;
        const p = plan(a, b, attrs['transposeA'] === true, attrs['transposeB'] === true, fused ? bias : undefined, act);
        if (p === undefined) return undefined;
        const alpha = Number(attrs['leakyreluAlpha'] ?? 0.2);
        return withOutput(backend, p.outShape, [a, b, fused ? bias : undefined], (heap, off) => addon.matmul(heap, p.shape, off, alpha));
    };
}

export function registerNativeMatMul(addon: NativeAddon): void {
    registerNative('BatchMatMul', product(addon, false));
    registerNative('_FusedMatMul', product(addon, true));
}
