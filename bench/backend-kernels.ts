// Graft's wasm kernels against the native wasm kernels they replace: CPU milliseconds per call
// (process CPU time, which a busy shared machine distorts far less than wall time).
//
//   npx tsx bench/backend-kernels.ts
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { runOriginal } from '../src/runtime/backend/wasm-kernels/composite.js';

function cpuMs(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
}

function perCall(fn: () => void, reps: number): number {
    fn();
    const c0 = cpuMs();
    for (let i = 0; i < reps; i++) fn();
    return (cpuMs() - c0) / reps;
}

await selectBackend('wasm', { threads: 1 });
const r = (shape: number[]) => tf.randomNormal(shape);
type Case = [string, string, Record<string, tf.Tensor>, Record<string, unknown>, number];
const x48 = r([32, 48, 48, 48]);
const cases: Case[] = [
    ['Conv2DBackpropInput 3x3 s1, 32x24x24x32->32', 'Conv2DBackpropInput', { dy: r([32, 24, 24, 32]), filter: r([3, 3, 32, 32]) }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [32, 24, 24, 32] }, 3],
    ['Conv2DBackpropInput 3x3 s2, 32x12x12x64->32', 'Conv2DBackpropInput', { dy: r([32, 12, 12, 64]), filter: r([3, 3, 32, 64]) }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: [32, 24, 24, 32] }, 3],
    ['Conv2DBackpropInput 1x1, 32x24x24x96->16', 'Conv2DBackpropInput', { dy: r([32, 24, 24, 96]), filter: r([1, 1, 16, 96]) }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [32, 24, 24, 16] }, 3],
    ['Tile channel vector to 32x48x48x48', 'Tile', { x: r([1, 1, 1, 48]) }, { reps: [32, 48, 48, 1] }, 3],
    ['Sum 32x48x48x48 over [0,1,2]', 'Sum', { x: x48 }, { axis: [0, 1, 2], keepDims: false }, 5],
    ['Mean 32x48x48x48 over [0,1,2]', 'Mean', { x: x48 }, { axis: [0, 1, 2], keepDims: false }, 5],
    ['Slice window of 32x50x50x48', 'Slice', { x: r([32, 50, 50, 48]) }, { begin: [0, 1, 1, 0], size: [32, 48, 48, 48] }, 5],
    ['BatchMatMul [32,1280]^T x [32,10]', 'BatchMatMul', { a: r([32, 1280]), b: r([32, 10]) }, { transposeA: true, transposeB: false }, 20],
    ['BatchMatMul [32,10] x [1280,10]^T', 'BatchMatMul', { a: r([32, 10]), b: r([1280, 10]) }, { transposeA: false, transposeB: true }, 20],
    ['GatherV2 5000 rows of 5000x1280', 'GatherV2', { x: r([5000, 1280]), indices: tf.tensor1d(Array.from(tf.util.createShuffledIndices(5000)), 'int32') }, { axis: 0, batchDims: 0 }, 3],
    ['Identity of 5000x1280', 'Identity', { x: r([5000, 1280]) }, {}, 20]
];
const pooled = tf.maxPool(x48 as tf.Tensor4D, 2, 2, 'valid');
cases.push(['MaxPoolGrad 2x2 s2 of 32x48x48x48 (correct vs wrong)', 'MaxPoolGrad', { dy: r([32, 24, 24, 48]), input: x48, output: pooled }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }, 3]);

console.log('kernel'.padEnd(56), 'native ms', '  Graft ms', '  speedup');
for (const [label, kernel, inputs, attrs, reps] of cases) {
    const native = perCall(() => tf.tidy(() => void runOriginal(kernel, inputs, attrs)), reps);
    const ours = perCall(() => tf.tidy(() => void tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap)), reps);
    console.log(label.padEnd(56), native.toFixed(2).padStart(9), ours.toFixed(2).padStart(10), `${(native / ours).toFixed(1)}x`.padStart(9));
}
