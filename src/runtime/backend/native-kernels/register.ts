// Registering a native kernel over the wasm kernel now in place (tfjs' own or Graft's): the
// native one handles the cases oneDNN covers and hands every other case, and any native failure,
// to the kernel it replaced, so a shape oneDNN rejects costs speed, never a wrong result.
import * as tf from '@tensorflow/tfjs';

export type NativeKernelFunc = (args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }) => tf.TensorInfo | tf.TensorInfo[] | undefined;

/** Native runs per kernel name (tests check that the native path, not the fallback, ran). */
export const nativeCalls = new Map<string, number>();

/** Kernel names that fell back after a native error, with the first error (tests check it stays empty). */
export const nativeFallbacks = new Map<string, string>();

export function registerNative(kernelName: string, native: NativeKernelFunc): void {
    const previous = tf.getKernel(kernelName, 'wasm');
    if (previous === undefined) throw new Error(`no wasm kernel '${kernelName}' to stand behind the native one`);
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        setupFunc: previous.setupFunc,
        kernelFunc: (args) => {
            const typed = args as Parameters<NativeKernelFunc>[0];
            let out: tf.TensorInfo | tf.TensorInfo[] | undefined;
            try {
                out = native(typed);
            } catch (err) {
                if (!nativeFallbacks.has(kernelName)) nativeFallbacks.set(kernelName, err instanceof Error ? err.message : String(err));
                out = undefined;
            }
            if (out === undefined) return previous.kernelFunc(args);
            nativeCalls.set(kernelName, (nativeCalls.get(kernelName) ?? 0) + 1);
            return out;
        }
    });
}
