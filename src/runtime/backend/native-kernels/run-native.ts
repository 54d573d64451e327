// One native call writing fresh wasm outputs: allocate, call, and on failure free the outputs
// before the error goes on (to register.ts, which then runs the replaced kernel, or to the op).
import type * as tf from '@tensorflow/tfjs';
import { heapOf, internals, offsetOf } from './wasm-heap.js';

export function withOutput(
    backend: tf.KernelBackend,
    shape: number[],
    inputs: (tf.TensorInfo | undefined)[],
    call: (heap: Uint8Array, offsets: Float64Array) => void
): tf.TensorInfo {
    const out = internals(backend).makeOutput(shape, 'float32');
    try {
        // [inputs..., output]; an absent input is -1 (the addon does not read it).
        const offsets = new Float64Array(inputs.length + 1);
        inputs.forEach((t, i) => (offsets[i] = t === undefined ? -1 : offsetOf(backend, t)));
        offsets[inputs.length] = offsetOf(backend, out);
        call(heapOf(backend), offsets);
        return out;
    } catch (err) {
        backend.disposeData(out.dataId);
        throw err;
    }
}

/** As withOutput for several outputs: offsets are [inputs..., outputs...]. */
export function withOutputs(backend: tf.KernelBackend, shapes: number[][], inputs: tf.TensorInfo[], call: (heap: Uint8Array, offsets: Float64Array) => void): tf.TensorInfo[] {
    const outs = shapes.map((shape) => internals(backend).makeOutput(shape, 'float32'));
    try {
        call(heapOf(backend), Float64Array.from([...inputs, ...outs].map((t) => offsetOf(backend, t))));
        return outs;
    } catch (err) {
        for (const out of outs) backend.disposeData(out.dataId);
        throw err;
    }
}
