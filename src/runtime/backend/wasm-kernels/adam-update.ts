// One Adam step for all of a group's variables as a single wasm kernel (a loop over the heap).
//
// FlatAdam's tfjs formulation is one pass per arithmetic op over the flat moments plus a concat of
// the gradients and of the weights and a slice per variable: ≈20 kernel dispatches per step,
// which dominate a dense head's step (157 steps per epoch on 5,000 features). This kernel reads
// each gradient, moment and weight once and writes the new moments and weights.
//
// Inputs: `m`, `v` (flat moments), `g0..g{k-1}` (gradients), `x0..x{k-1}` (weights, same order).
// Outputs: [m', v', x0', ..., x{k-1}'], all new tensors: nothing is updated in place, because a
// variable's memory may be shared (wasm's Identity shares memory: snapshots are clones).
// Each operation is rounded to float32 as the tfjs ops are (Math.fround), so the result is the
// same as FlatAdam's formulation on any backend, and FlatAdam's tests compare the two.
import * as tf from '@tensorflow/tfjs';
import { heapBackend } from './heap.js';

export const ADAM_UPDATE = 'GraftAdamUpdate';

export interface AdamUpdateAttrs {
    count: number;
    lr: number;
    beta1: number;
    beta2: number;
    epsilon: number;
    /** 1 − β1^t and 1 − β2^t, the bias corrections of step t. */
    c1: number;
    c2: number;
}

function adamUpdate({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }): tf.TensorInfo[] {
    const a = attrs as unknown as AdamUpdateAttrs;
    const heap = heapBackend(backend);
    const mIn = inputs['m']!;
    const total = mIn.shape[0]!;
    const xs = Array.from({ length: a.count }, (_, i) => inputs[`x${i}`]!);
    const outs = [heap.makeOutput([total], 'float32'), heap.makeOutput([total], 'float32'), ...xs.map((x) => heap.makeOutput(x.shape, 'float32'))];
    // Views after every allocation: growing the heap detaches older views.
    const view = (t: tf.TensorInfo) => heap.typedArrayFromHeap(t) as Float32Array;
    const m = view(mIn);
    const v = view(inputs['v']!);
    const m1 = view(outs[0]!);
    const v1 = view(outs[1]!);
    const f = Math.fround;
    const b1 = f(a.beta1);
    const b2 = f(a.beta2);
    const ob1 = f(1 - a.beta1);
    const ob2 = f(1 - a.beta2);
    const c2 = f(a.c2);
    const eps = f(a.epsilon);
    const step = f(a.lr / a.c1);
    let offset = 0;
    for (let k = 0; k < a.count; k++) {
        const g = view(inputs[`g${k}`]!);
        const x = view(xs[k]!);
        const out = view(outs[k + 2]!);
        for (let i = 0, j = offset; i < g.length; i++, j++) {
            const gi = g[i]!;
            const mj = f(f(m[j]! * b1) + f(gi * ob1));
            const vj = f(f(v[j]! * b2) + f(f(gi * gi) * ob2));
            m1[j] = mj;
            v1[j] = vj;
            const denominator = f(f(Math.sqrt(f(vj / c2))) + eps);
            out[i] = f(x[i]! - f(f(mj / denominator) * step));
        }
        offset += g.length;
    }
    return outs;
}

export function registerAdamUpdate(): void {
    if (tf.getKernel(ADAM_UPDATE, 'wasm') !== undefined) return;
    tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamUpdate as unknown as tf.KernelFunc });
}
