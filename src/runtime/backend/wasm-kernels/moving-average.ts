// A BatchNorm layer's moving statistics, updated by one kernel instead of three. tf.layers
// updates each as `moving - (moving - batch) · (1 - momentum)`: a Sub, a Multiply and a Sub on a
// vector of one value per channel, six dispatches per layer and step for a few hundred numbers.
// This loop does the same arithmetic, rounded to float32 after each operation as the ops are, so
// the statistics are the same bits either way (test/backend/wasm-kernels.test.ts).
//
// Inputs `moving` and `batch` (same shape); attr `keep` (1 - momentum). Output: the new moving
// value (a new tensor: the variable's old memory may be shared with a snapshot).
import * as tf from '@tensorflow/tfjs';
import { outputAndViews } from './heap.js';

export const MOVING_AVERAGE = 'GraftMovingAverage';

function movingAverage({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }): tf.TensorInfo {
    const moving = inputs['moving']!;
    const { out, dst, srcs } = outputAndViews(backend, moving.shape, 'float32', [moving, inputs['batch']!]);
    const [m, b] = srcs as [Float32Array, Float32Array];
    const f = Math.fround;
    const keep = f(Number(attrs['keep']));
    for (let i = 0; i < m.length; i++) dst[i] = f(m[i]! - f(f(m[i]! - b[i]!) * keep));
    return out;
}

export function registerMovingAverage(): void {
    if (tf.getKernel(MOVING_AVERAGE, 'wasm') !== undefined) return;
    tf.registerKernel({ kernelName: MOVING_AVERAGE, backendName: 'wasm', kernelFunc: movingAverage as unknown as tf.KernelFunc });
}
