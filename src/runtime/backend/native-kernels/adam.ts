// FlatAdam's update (GraftAdamUpdate, wasm-kernels/adam-update.ts) natively: the same float32
// arithmetic, so the same bits, vectorised instead of a JavaScript loop (≈150 µs per step for a
// 12,810-weight head there, a fifth of the step).
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamUpdateAttrs } from '../wasm-kernels/adam-update.js';
import type { NativeAddon } from './addon.js';
import { registerNative, type NativeKernelFunc } from './register.js';
import { heapOf, internals, offsetOf } from './wasm-heap.js';

function adam(addon: NativeAddon): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const a = attrs as unknown as AdamUpdateAttrs;
        const m = inputs['m'];
        const v = inputs['v'];
        if (m === undefined || v === undefined) return undefined;
        const gs = Array.from({ length: a.count }, (_, i) => inputs[`g${i}`]!);
        const xs = Array.from({ length: a.count }, (_, i) => inputs[`x${i}`]!);
        if (![m, v, ...gs, ...xs].every((t) => t !== undefined && t.dtype === 'float32')) return undefined;
        const total = m.shape[0]!;
        const outs = [internals(backend).makeOutput([total], 'float32'), internals(backend).makeOutput([total], 'float32'), ...xs.map((x) => internals(backend).makeOutput(x.shape, 'float32'))];
        try {
            const f = Math.fround;
            const sizes = Float64Array.from([a.count, total, ...gs.map((g) => tf.util.sizeFromShape(g.shape))]);
            const offsets = Float64Array.from([m, v, ...gs, ...xs, ...outs].map((t) => offsetOf(backend, t)));
            const params = Float64Array.from([f(a.beta1), f(a.beta2), f(1 - a.beta1), f(1 - a.beta2), f(a.c2), f(a.epsilon), f(a.lr / a.c1)]);
            addon.adam(heapOf(backend), sizes, offsets, params);
            return outs;
        } catch (err) {
            for (const out of outs) backend.disposeData(out.dataId);
            throw err;
        }
    };
}

export function registerNativeAdam(addon: NativeAddon): void {
    // GRAFT_WASM_BASELINE=1 leaves the wasm kernel unregistered: nothing to stand in front of.
    if (tf.getKernel(ADAM_UPDATE, 'wasm') !== undefined) registerNative(ADAM_UPDATE, adam(addon));
}
