// Graft's native kernels for the wasm backend (see native/graft_kernels.cc): the convolutions and
// matrix products, which are most of a training step's time, run by oneDNN on the wasm heap, and
// the per-channel element-wise work of BatchNorm, the max-pool gradient, ReLU and its gradient, a
// dense layer's forward and backward, and Adam's update. (Sums over leading axes stay on Graft's
// wasm kernel, a product with ones, which now runs on the native sgemm.)
// Everything else stays on wasm. Registered after the wasm training kernels, over them.
import { registerNativeAdam } from './adam.js';
import { loadNativeAddon } from './addon.js';
import { registerNativeBatchNormTraining } from './batchnorm-train.js';
import { registerNativeChannelwise } from './channelwise.js';
import { registerNativeConv } from './conv.js';
import { registerNativeDense } from './dense.js';
import { registerNativeMatMul } from './matmul.js';
import { registerNativePooling } from './pooling.js';
import { registerNativeRelu } from './relu.js';

export type NativeState = { active: true; version: string; threads: number } | { active: false; reason: string };

let state: NativeState | undefined;

/** GRAFT_NATIVE_THREADS, when set to a positive number, overrides the count given. */
function threadsFor(wanted: number): number {
    const fromEnv = Number(process.env['GRAFT_NATIVE_THREADS']);
    return Number.isFinite(fromEnv) && fromEnv >= 1 ? Math.floor(fromEnv) : wanted;
}

/** Registers the native kernels once per process (threads: the count the backend was given). */
export function registerNativeKernels(wanted: number): NativeState {
    const threads = threadsFor(wanted);
    if (state !== undefined) {
        if (state.active && state.threads !== threads) {
            const load = loadNativeAddon();
            if (load.ok) load.addon.setThreads(threads);
            state = { ...state, threads };
        }
        return state;
    }
    const load = loadNativeAddon();
    if (!load.ok) return (state = { active: false, reason: load.reason });
    load.addon.setThreads(threads);
    registerNativeConv(load.addon);
    registerNativeMatMul(load.addon);
    registerNativeChannelwise(load.addon);
    registerNativePooling(load.addon);
    registerNativeBatchNormTraining(load.addon);
    registerNativeAdam(load.addon);
    registerNativeDense(load.addon);
    registerNativeRelu(load.addon);
    return (state = { active: true, version: load.addon.version(), threads });
}

/** The native kernels' thread count, 1 when they are not active. */
export function nativeThreadCount(): number {
    return state?.active === true ? state.threads : 1;
}
