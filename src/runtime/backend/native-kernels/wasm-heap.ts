// The wasm backend's memory as the native kernels see it: one byte view of the whole heap and
// each tensor's byte offset in it. The view is read after every allocation, because growing the
// heap replaces its buffer.
import type * as tf from '@tensorflow/tfjs';

interface WasmBackendInternals {
    wasm: { HEAPU8: Uint8Array };
    dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
    makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

export function internals(backend: tf.KernelBackend): WasmBackendInternals {
    return backend as unknown as WasmBackendInternals;
}

export function offsetOf(backend: tf.KernelBackend, info: tf.TensorInfo): number {
    const data = internals(backend).dataIdMap.get(info.dataId);
    if (data === undefined) throw new Error('tensor data is not on the wasm heap');
    return data.memoryOffset;
}

export function heapOf(backend: tf.KernelBackend): Uint8Array {
    return internals(backend).wasm.HEAPU8;
}

export function allFloat32(infos: (tf.TensorInfo | undefined)[]): boolean {
    return infos.every((t) => t === undefined || t.dtype === 'float32');
}
