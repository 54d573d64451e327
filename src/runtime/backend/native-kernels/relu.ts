// ReLU and its gradient natively. tfjs differentiates ReLU as dy · step(x): two passes over the
// activation (Step, then Multiply), both on one WebAssembly thread; for small_cnn's first block
// that is 1.6 million elements twice per step. `GraftReluGrad` is one vectorised pass, split over
// the native threads when large, and Relu's forward runs the same way. The gradient registered
// for Relu uses the kernel where the active backend has it and tfjs' formulation elsewhere, so
// other backends are unchanged.
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { nativeCalls, registerNative, type NativeKernelFunc } from './register.js';
import { alreadyMasked, noteRelu } from './relu-fold.js';
import { withOutput } from './run-native.js';

export const RELU_GRAD = 'GraftReluGrad';

function relu(addon: NativeAddon): NativeKernelFunc {
    return ({ inputs, backend }) => {
        const x = inputs['x'];
        if (x === undefined || x.dtype !== 'float32') return undefined;
        const shape = Float64Array.from([tf.util.sizeFromShape(x.shape), 0]);
        const out = withOutput(backend, x.shape, [x, x], (heap, off) => addon.relu(heap, shape, off));
        noteRelu(out.dataId, x.dataId);
        return out;
    };
}

export function registerNativeRelu(addon: NativeAddon): void {
    registerNative('Relu', relu(addon));
    tf.registerKernel({
        kernelName: RELU_GRAD,
        backendName: 'wasm',
        // Inputs dy and x (the ReLU's input), same shape, float32.
        kernelFunc: ({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }) => {
            const { dy, x } = inputs as Record<string, tf.TensorInfo>;
            const shape = Float64Array.from([tf.util.sizeFromShape(x!.shape), 1]);
            const out = withOutput(backend, x!.shape, [dy!, x!], (heap, off) => addon.relu(heap, shape, off));
            nativeCalls.set(RELU_GRAD, (nativeCalls.get(RELU_GRAD) ?? 0) + 1);
            return out;
        }
    } as tf.KernelConfig);
    tf.registerGradient({
        kernelName: 'Relu',
        inputsToSave: ['x'],
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
            const [x] = saved as [tf.Tensor];
            const g = dy as tf.Tensor;
            // A max-pool gradient that folded this ReLU's in (relu-fold.ts) is passed on.
            if (alreadyMasked(g, x)) return { x: () => tf.clone(g) };
            const fused = g.dtype === 'float32' && x.dtype === 'float32' && tf.util.arraysEqual(g.shape, x.shape) && tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined;
            // tfjs' own formulation (tfjs-core gradients/Relu_grad) where the kernel is absent.
            return { x: () => (fused ? (tf.engine().runKernel(RELU_GRAD, { dy: g, x }) as tf.Tensor) : tf.mul(g, tf.cast(tf.step(x), 'float32'))) };
        }
    });
}
