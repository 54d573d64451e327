// MaxPool and MaxPoolGrad natively: one pass per image, in parallel over the batch (Graft's wasm
// loop in wasm-kernels/max-pool-grad.ts has the same routing rule and stays the gradient's
// fallback; tfjs' wasm MaxPool the forward's). After a ReLU the gradient folds in the ReLU's
// (relu-fold.ts).
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { poolInfo } from '../wasm-kernels/max-pool-grad.js';
import { noteMasked, registerFoldedPoolGradient, reluInputOfOutput, RELU_MASK_ATTR } from './relu-fold.js';
import { registerNative, type NativeKernelFunc } from './register.js';
import { withOutput } from './run-native.js';
import { allFloat32 } from './wasm-heap.js';

function maxPoolGrad(addon: NativeAddon): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { dy, input, output } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (dy === undefined || input === undefined || output === undefined || input.shape.length !== 4 || !allFloat32([dy, input, output])) return undefined;
        const g = geometry(input.shape, attrs);
        // Asked to fold in the ReLU whose output `input` is (relu-fold.ts).
        const reluInput = attrs[RELU_MASK_ATTR] === true ? reluInputOfOutput(input.dataId) : undefined;
        const out = withOutput(backend, input.shape, [input, dy, output], (heap, off) => addon.maxPoolGrad(heap, g, off, reluInput === undefined ? 0 : 1));
        if (reluInput !== undefined) noteMasked(out.dataId, reluInput);
        return out;
    };
}

/** The window geometry both kernels take: [n, h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow]. */
function geometry(shape: number[], attrs: tf.NamedAttrMap): Float64Array {
    const info = poolInfo(shape, attrs);
    const [n, h, w, c] = shape as [number, number, number, number];
    return Float64Array.from([n, h, w, c, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth]);
}

function maxPool(addon: NativeAddon): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const x = inputs['x'];
        if (x === undefined || x.shape.length !== 4 || x.dtype !== 'float32') return undefined;
        const g = geometry(x.shape, attrs);
        if (g[10]! < 1 || g[11]! < 1) return undefined;
        return withOutput(backend, [g[0]!, g[10]!, g[11]!, g[3]!], [x], (heap, off) => addon.maxPool(heap, g, off));
    };
}

export function registerNativePooling(addon: NativeAddon): void {
    registerNative('MaxPool', maxPool(addon));
    registerNative('MaxPoolGrad', maxPoolGrad(addon));
    registerFoldedPoolGradient(() => tf.getBackend() === 'wasm');
}
