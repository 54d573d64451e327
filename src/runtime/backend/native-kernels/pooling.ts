// MaxPoolGrad natively: one pass per image, in parallel over the batch (Graft's wasm loop in
// wasm-kernels/max-pool-grad.ts has the same routing rule and stays as the fallback).
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { poolInfo } from '../wasm-kernels/max-pool-grad.js';
import { registerNative, type NativeKernelFunc } from './register.js';
import { withOutput } from './run-native.js';
import { allFloat32 } from './wasm-heap.js';

function maxPoolGrad(addon: NativeAddon): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { dy, input, output } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (dy === undefined || input === undefined || output === undefined || input.shape.length !== 4 || !allFloat32([dy, input, output])) return undefined;
        const info = poolInfo(input.shape, attrs);
        const [n, h, w, c] = input.shape as [number, number, number, number];
        const g = Float64Array.from([n, h, w, c, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth]);
        return withOutput(backend, input.shape, [input, dy, output], (heap, off) => addon.maxPoolGrad(heap, g, off));
    };
}

export function registerNativePooling(addon: NativeAddon): void {
    registerNative('MaxPoolGrad', maxPoolGrad(addon));
}
