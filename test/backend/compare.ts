// Helpers for checking wasm kernels against the pure JS cpu backend's kernels.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/runtime/backend/select.js';

/** Deterministic values in [-1, 1) (half of them negative). */
export function randomValues(shape: number[], seed: number, offset = 0): Float32Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    let s = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        out[i] = (s / 2 ** 32) * 2 - 1 + offset;
    }
    return out;
}

export async function useWasm(): Promise<void> {
    await selectBackend('wasm', { threads: 1 });
}

/**
 * Runs `kernel` with the same inputs on `cpu` and on `wasm` and returns the largest absolute
 * difference and the largest absolute reference value (to judge it).
 */
export async function compareKernel(
    kernel: string,
    inputs: Record<string, { shape: number[]; values: Float32Array }>,
    attrs: Record<string, unknown>,
    derive?: (t: Record<string, tf.Tensor>) => Record<string, tf.Tensor>
): Promise<{ maxDiff: number; maxRef: number; shape: number[] }> {
    const results: { values: Float32Array; shape: number[] }[] = [];
    for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const out = tf.tidy(() => {
            let ts: Record<string, tf.Tensor> = {};
            for (const [name, v] of Object.entries(inputs)) ts[name] = tf.tensor(v.values, v.shape);
            if (derive) ts = { ...ts, ...derive(ts) };
            return tf.engine().runKernel(kernel, ts as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
        });
        results.push({ values: out.dataSync() as Float32Array, shape: out.shape });
        out.dispose();
    }
    const [ref, got] = results as [{ values: Float32Array; shape: number[] }, { values: Float32Array; shape: number[] }];
    if (ref.shape.join() !== got.shape.join()) throw new Error(`shape ${got.shape} != cpu ${ref.shape}`);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < ref.values.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(ref.values[i]! - got.values[i]!));
        maxRef = Math.max(maxRef, Math.abs(ref.values[i]!));
    }
    return { maxDiff, maxRef, shape: got.shape };
}

export function spec(shape: number[], seed: number, offset = 0): { shape: number[]; values: Float32Array } {
    return { shape, values: randomValues(shape, seed, offset) };
}

/** Gradients of softmax cross-entropy(y, forward()) for `vars` (default: every trainable variable), by variable name. */
export function lossGradients(forward: () => tf.Tensor, y: tf.Tensor, vars?: tf.Variable[]): Map<string, Float32Array> {
    const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward()) as tf.Scalar, vars);
    value.dispose();
    const out = new Map<string, Float32Array>();
    for (const [name, g] of Object.entries(grads)) {
        out.set(name, g.dataSync() as Float32Array);
        g.dispose();
    }
    return out;
}
