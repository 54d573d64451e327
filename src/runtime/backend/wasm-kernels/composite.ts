// Registering a kernel for the wasm backend that is written with tfjs ops.
//
// The engine runs a kernel with "kernelDepth" raised, so ops called inside it are not
// recorded on the gradient tape and dispatch to the same (wasm) backend. A kernel may return
// a Tensor: the engine then uses it as the output as is. We run the body inside tf.tidy so
// every intermediate is freed and only the result survives.
import * as tf from '@tensorflow/tfjs';

export type TensorMap = Record<string, tf.Tensor>;
export type CompositeBody = (inputs: TensorMap, attrs: Record<string, unknown>) => tf.Tensor;

/** The wasm kernels we replaced, kept so a replacement can delegate to the original. */
const originals = new Map<string, tf.KernelConfig>();

/** A Tensor view of a kernel input (inputs from ops are Tensors; anything else gets a counted wrapper). */
export function asTensor(info: tf.TensorInfo): tf.Tensor {
    if (info instanceof tf.Tensor) return info;
    const engine = tf.engine();
    // A new Tensor over the same data id: bump the backend's count so disposing the
    // wrapper (at the end of our tidy) leaves the caller's data alive.
    engine.backend.incRef(info.dataId);
    return engine.makeTensorFromTensorInfo(info);
}

/** Registers `body` as `kernelName` for `backendName`, replacing (and remembering) an existing kernel. */
export function registerComposite(kernelName: string, body: CompositeBody, backendName = 'wasm'): void {
    const existing = tf.getKernel(kernelName, backendName);
    if (existing !== undefined) {
        if (!originals.has(kernelName)) originals.set(kernelName, existing);
        tf.unregisterKernel(kernelName, backendName);
    }
    const original = originals.get(kernelName);
    tf.registerKernel({
        kernelName,
        backendName,
        // Keep the original's setup (a cwrap of its C function) so delegating to it still works
        // when the backend is initialised after this registration.
        setupFunc: original?.setupFunc,
        kernelFunc: ({ inputs, attrs }) => {
            const tensors: TensorMap = {};
            for (const [name, info] of Object.entries(inputs)) {
                if (info !== undefined && info !== null) tensors[name] = info as tf.Tensor;
            }
            return tf.tidy(() => {
                const wrapped: TensorMap = {};
                for (const [name, t] of Object.entries(tensors)) wrapped[name] = asTensor(t);
                const out = body(wrapped, attrs as Record<string, unknown>);
                // Returning an input object itself would let the engine dispose the caller's tensor.
                return Object.values(tensors).includes(out) ? out.clone() : out;
            });
        }
    });
}

/**
 * Registers a kernel working on the backend directly (heap views), replacing an existing one;
 * `original` lets it delegate the cases it does not handle.
 */
export function registerDirect(
    kernelName: string,
    kernelFunc: (args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }, original: tf.KernelFunc) => tf.TensorInfo,
    backendName = 'wasm'
): void {
    const existing = tf.getKernel(kernelName, backendName);
    if (existing !== undefined) {
        if (!originals.has(kernelName)) originals.set(kernelName, existing);
        tf.unregisterKernel(kernelName, backendName);
    }
    const original = originals.get(kernelName);
    if (original === undefined) throw new Error(`No ${backendName} kernel '${kernelName}' to replace`);
    tf.registerKernel({
        kernelName,
        backendName,
        setupFunc: original.setupFunc,
        kernelFunc: (args) => kernelFunc(args as Parameters<typeof kernelFunc>[0], original.kernelFunc)
    });
}

/** Runs the original wasm kernel `kernelName` (saved by registerComposite) on tensors. */
export function runOriginal(
    kernelName: string,
    inputs: TensorMap,
    attrs: Record<string, unknown>,
    backendName = 'wasm'
): tf.Tensor {
    const config = originals.get(kernelName) ?? tf.getKernel(kernelName, backendName);
    if (config === undefined) throw new Error(`No ${backendName} kernel '${kernelName}' to delegate to`);
    const engine = tf.engine();
    const out = config.kernelFunc({
        inputs: inputs as unknown as tf.NamedTensorInfoMap,
        attrs: attrs as tf.NamedAttrMap,
        backend: engine.backend
    });
    const info = Array.isArray(out) ? out[0]! : out;
    // A fresh output of the backend (count 1): wrap it, tracked by the surrounding tidy.
    return engine.makeTensorFromTensorInfo(info);
}
