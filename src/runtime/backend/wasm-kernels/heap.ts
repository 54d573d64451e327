// Typed-array views of wasm tensors, for kernels written as plain loops over the heap.
//
// Element-wise and routing kernels (comparisons, selects, pooling gradients) gain nothing from
// XNNPACK, and composing them from tfjs ops costs one kernel per step (each allocating and
// streaming its whole tensor). A JavaScript loop over the heap does the same work in one pass.
import type * as tf from '@tensorflow/tfjs';

export interface WasmHeapBackend {
    makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
    typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function heapBackend(backend: tf.KernelBackend): WasmHeapBackend {
    return backend as unknown as WasmHeapBackend;
}

/**
 * A new output and views of it and of `inputs`. The views are taken after allocating: growing
 * the heap replaces its buffer and detaches older views.
 */
export function outputAndViews(
    backend: tf.KernelBackend,
    shape: number[],
    dtype: tf.DataType,
    inputs: tf.TensorInfo[]
): { out: tf.TensorInfo; dst: Float32Array | Int32Array | Uint8Array; srcs: (Float32Array | Int32Array | Uint8Array)[] } {
    const heap = heapBackend(backend);
    const out = heap.makeOutput(shape, dtype);
    return { out, dst: heap.typedArrayFromHeap(out), srcs: inputs.map((t) => heap.typedArrayFromHeap(t)) };
}
