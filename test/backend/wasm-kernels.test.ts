// Each kernel Graft registers for wasm, against the cpu backend's kernel on random inputs with
// negative values (max abs difference).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runOriginal } from '../../src/runtime/backend/wasm-kernels/composite.js';
import { setIm2colLimit } from '../../src/runtime/backend/wasm-kernels/conv2d-backprop-filter.js';
import { compareKernel, spec, useWasm } from './compare.js';
import { MOVING_AVERAGE } from '../../src/runtime/backend/wasm-kernels/moving-average.js';

beforeAll(useWasm);

const NHWC = { dataFormat: 'NHWC' };
type Case = [string, Record<string, { shape: number[]; values: Float32Array }>, Record<string, unknown>];

const convFilterCases: Case[] = [
    ['3x3 stride 1 same', { x: spec([2, 7, 7, 3], 1), dy: spec([2, 7, 7, 5], 2) }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, 3, 5] }],
    ['3x3 stride 2 same', { x: spec([2, 8, 8, 3], 3), dy: spec([2, 4, 4, 5], 4) }, { strides: [2, 2], pad: 'same', filterShape: [3, 3, 3, 5] }],
    ['3x3 stride 2 valid, odd size', { x: spec([2, 9, 9, 4], 5), dy: spec([2, 4, 4, 2], 6) }, { strides: [2, 2], pad: 'valid', filterShape: [3, 3, 4, 2] }],
    ['1x1 stride 1 (pointwise)', { x: spec([2, 6, 6, 8], 7), dy: spec([2, 6, 6, 4], 8) }, { strides: [1, 1], pad: 'same', filterShape: [1, 1, 8, 4] }],
    ['1x1 stride 1, cin < cout, batch 1, non-square', { x: spec([1, 3, 5, 6], 125), dy: spec([1, 3, 5, 20], 126) }, { strides: [1, 1], pad: 'valid', filterShape: [1, 1, 6, 20] }],
    ['1x1 stride 2', { x: spec([2, 8, 8, 3], 9), dy: spec([2, 4, 4, 5], 10) }, { strides: [2, 2], pad: 'valid', filterShape: [1, 1, 3, 5] }],
    ['7x7 stride 2 same (ResNet stem)', { x: spec([2, 16, 16, 3], 11), dy: spec([2, 8, 8, 8], 12) }, { strides: [2, 2], pad: 'same', filterShape: [7, 7, 3, 8] }],
    ['explicit padding', { x: spec([1, 6, 6, 2], 13), dy: spec([1, 6, 6, 3], 14) }, { strides: [1, 1], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], filterShape: [3, 3, 2, 3] }],
    ['3x3 stride 2 valid, unused last row and column', { x: spec([2, 10, 10, 3], 15), dy: spec([2, 4, 4, 4], 16) }, { strides: [2, 2], pad: 'valid', filterShape: [3, 3, 3, 4] }],
    ['3x3 stride 2 same, odd size, batch 1', { x: spec([1, 9, 7, 3], 17), dy: spec([1, 5, 4, 6], 18) }, { strides: [2, 2], pad: 'same', filterShape: [3, 3, 3, 6] }],
    ['3x2 stride (1, 2) same, non-square', { x: spec([3, 6, 9, 2], 19), dy: spec([3, 6, 5, 4], 20) }, { strides: [1, 2], pad: 'same', filterShape: [3, 2, 2, 4] }],
    ['3x3 stride 1 same, batch 3, cin 16 (small_cnn inner layer, many column rows)', { x: spec([3, 7, 7, 16], 131), dy: spec([3, 7, 7, 24], 132) }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, 16, 24] }],
    ['5x5 stride 3 explicit asymmetric padding', { x: spec([2, 11, 10, 3], 133), dy: spec([2, 4, 3, 2], 134) }, { strides: [3, 3], pad: [[0, 0], [2, 1], [1, 2], [0, 0]], filterShape: [5, 5, 3, 2] }],
    ['3x3 one input channel (small_cnn stem)', { x: spec([8, 12, 12, 1], 121), dy: spec([8, 12, 12, 16], 122) }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, 1, 16] }],
    ['NCHW', { x: spec([2, 3, 7, 7], 123), dy: spec([2, 5, 7, 7], 124) }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, 3, 5], dataFormat: 'NCHW' }]
];

const convInputCases: Case[] = [
    ['3x3 stride 1 same', { dy: spec([2, 7, 7, 5], 21), filter: spec([3, 3, 3, 5], 22) }, { strides: [1, 1], pad: 'same', inputShape: [2, 7, 7, 3] }],
    ['3x3 stride 2 same', { dy: spec([2, 4, 4, 5], 23), filter: spec([3, 3, 3, 5], 24) }, { strides: [2, 2], pad: 'same', inputShape: [2, 8, 8, 3] }],
    ['3x3 stride 2 valid, unused last row', { dy: spec([2, 4, 4, 2], 25), filter: spec([3, 3, 4, 2], 26) }, { strides: [2, 2], pad: 'valid', inputShape: [2, 10, 10, 4] }],
    ['3x3 stride 1 same, one input channel (depthwise + sum)', { dy: spec([3, 6, 5, 8], 127), filter: spec([3, 3, 1, 8], 128) }, { strides: [1, 1], pad: 'same', inputShape: [3, 6, 5, 1] }],
    ['3x3 stride 2 valid, one input channel, batch 1', { dy: spec([1, 3, 4, 4], 129), filter: spec([3, 3, 1, 4], 130) }, { strides: [2, 2], pad: 'valid', inputShape: [1, 8, 9, 1] }],
    ['1x1 stride 1', { dy: spec([2, 4, 4, 5], 27), filter: spec([1, 1, 3, 5], 28) }, { strides: [1, 1], pad: 'same', inputShape: [2, 4, 4, 3] }],
    ['1x1 stride 2', { dy: spec([2, 4, 4, 5], 29), filter: spec([1, 1, 3, 5], 30) }, { strides: [2, 2], pad: 'valid', inputShape: [2, 8, 8, 3] }]
];

const depthwiseInputCases: Case[] = [
    ['3x3 stride 1 same', { dy: spec([2, 7, 7, 6], 31), filter: spec([3, 3, 6, 1], 32) }, { strides: [1, 1], dilations: [1, 1], pad: 'same', inputShape: [2, 7, 7, 6] }],
    ['3x3 stride 2 same', { dy: spec([2, 4, 4, 6], 33), filter: spec([3, 3, 6, 1], 34) }, { strides: [2, 2], dilations: [1, 1], pad: 'same', inputShape: [2, 8, 8, 6] }],
    ['3x3 stride 2 valid, multiplier 2', { dy: spec([2, 4, 4, 6], 35), filter: spec([3, 3, 3, 2], 36) }, { strides: [2, 2], dilations: [1, 1], pad: 'valid', inputShape: [2, 9, 9, 3] }]
];

const depthwiseFilterCases: Case[] = [
    ['3x3 stride 1 same', { x: spec([2, 7, 7, 6], 41), dy: spec([2, 7, 7, 6], 42) }, { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 6, 1] }],
    ['3x3 stride 2 same', { x: spec([2, 8, 8, 6], 43), dy: spec([2, 4, 4, 6], 44) }, { strides: [2, 2], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 6, 1] }],
    ['3x3 stride 2 valid, multiplier 2', { x: spec([2, 9, 9, 3], 45), dy: spec([2, 4, 4, 6], 46) }, { strides: [2, 2], dilations: [1, 1], pad: 'valid', filterShape: [3, 3, 3, 2] }],
    ['3x3 stride 2 valid, odd size, batch 1, non-square', { x: spec([1, 9, 7, 5], 47), dy: spec([1, 4, 3, 5], 48) }, { strides: [2, 2], dilations: [1, 1], pad: 'valid', filterShape: [3, 3, 5, 1] }],
    ['3x3 stride 1 same, MobileNet tail (3x3 maps)', { x: spec([4, 3, 3, 40], 49), dy: spec([4, 3, 3, 40], 50) }, { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 40, 1] }],
    ['3x3 stride 1 same, large (composite formulation)', { x: spec([8, 24, 24, 48], 149), dy: spec([8, 24, 24, 48], 150) }, { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 48, 1] }]
];

const poolCases: Case[] = [
    ['2x2 stride 2', { dy: spec([2, 4, 4, 3], 51), input: spec([2, 8, 8, 3], 52) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }],
    ['2x2 stride 2, odd input', { dy: spec([2, 3, 3, 3], 53), input: spec([2, 7, 7, 3], 54) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }],
    ['3x3 stride 2 same (ResNet)', { dy: spec([2, 4, 4, 3], 55), input: spec([2, 8, 8, 3], 56) }, { filterSize: [3, 3], strides: [2, 2], pad: 'same' }],
    ['2x2 stride 2 same, odd input', { dy: spec([2, 4, 4, 3], 57), input: spec([2, 7, 7, 3], 58) }, { filterSize: [2, 2], strides: [2, 2], pad: 'same' }],
    ['2x2 stride 2, all inputs negative', { dy: spec([2, 4, 4, 3], 59), input: spec([2, 8, 8, 3], 60, -2) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }],
    ['3x3 stride 1 same, batch 1, non-square', { dy: spec([1, 5, 7, 4], 151), input: spec([1, 5, 7, 4], 152) }, { filterSize: [3, 3], strides: [1, 1], pad: 'same' }],
    ['3x2 stride (2, 1) valid, non-square', { dy: spec([3, 3, 6, 5], 153), input: spec([3, 7, 7, 5], 154) }, { filterSize: [3, 2], strides: [2, 1], pad: 'valid' }],
    ['2x2 stride 2, small_cnn-sized', { dy: spec([4, 14, 14, 32], 155), input: spec([4, 28, 28, 32], 156) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }]
];

function expectClose(r: { maxDiff: number; maxRef: number }, tolerance = 1e-5): void {
    expect(r.maxRef).toBeGreaterThan(0);
    expect(r.maxDiff).toBeLessThanOrEqual(tolerance * Math.max(1, r.maxRef));
}

describe('wasm gradient kernels match the cpu backend', () => {
    it.each(convFilterCases)('Conv2DBackpropFilter %s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Conv2DBackpropFilter', inputs, { ...NHWC, ...attrs }));
    });
    // Above IM2COL_LIMIT column elements the filter gradient runs as a convolution instead.
    it.each(convFilterCases)('Conv2DBackpropFilter as a convolution (no im2col) %s', async (_, inputs, attrs) => {
        const previous = setIm2colLimit(0);
        try {
            expectClose(await compareKernel('Conv2DBackpropFilter', inputs, { ...NHWC, ...attrs }));
        } finally {
            setIm2colLimit(previous);
        }
    });
    it.each(convInputCases)('Conv2DBackpropInput %s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Conv2DBackpropInput', inputs, { ...NHWC, ...attrs }));
    });
    it.each(depthwiseInputCases)('DepthwiseConv2dNativeBackpropInput %s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('DepthwiseConv2dNativeBackpropInput', inputs, attrs));
    });
    it.each(depthwiseFilterCases)('DepthwiseConv2dNativeBackpropFilter %s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('DepthwiseConv2dNativeBackpropFilter', inputs, attrs));
    });
    it.each(poolCases)('MaxPoolGrad %s', async (_, inputs, attrs) => {
        const withOutput = (t: Record<string, tf.Tensor>) => ({
            output: tf.maxPool(t['input'] as tf.Tensor4D, attrs['filterSize'] as [number, number], attrs['strides'] as [number, number], attrs['pad'] as 'same')
        });
        // Overlapping windows add contributions in another order: allow float rounding.
        expectClose(await compareKernel('MaxPoolGrad', inputs, attrs, withOutput), 1e-6);
    });
    it('MaxPoolGrad with ties (the first maximum in row-major order gets dy)', async () => {
        const attrs = { filterSize: [3, 3], strides: [2, 2], pad: 'same' };
        const withTies = (t: Record<string, tf.Tensor>) => {
            const input = tf.round(tf.mul(t['raw']!, 2)) as tf.Tensor4D; // values in {-2, ..., 2}: many ties
            return { input, output: tf.maxPool(input, [3, 3], [2, 2], 'same') };
        };
        const inputs = { dy: spec([2, 4, 5, 3], 157), raw: spec([2, 8, 9, 3], 158) };
        expectClose(await compareKernel('MaxPoolGrad', inputs, attrs, withTies), 1e-6);
    });
    it.each(poolCases.slice(0, 3))('AvgPoolGrad (native) %s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('AvgPoolGrad', inputs, attrs));
    });

    it('the native wasm MaxPoolGrad misroutes gradients of all-negative windows (why it is replaced)', async () => {
        await tf.setBackend('wasm');
        const x = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]);
        const y = tf.maxPool(x, 2, 2, 'valid');
        const dy = tf.ones([1, 1, 1, 1]);
        const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
        const ours = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs) as tf.Tensor;
        expect(Array.from(ours.dataSync())).toEqual([0, 1, 0, 0]);
        const native = tf.tidy(() => runOriginal('MaxPoolGrad', { dy, input: x, output: y }, attrs));
        expect(Array.from(native.dataSync())).not.toEqual([0, 1, 0, 0]);
    });
});

describe('faster wasm formulations match the cpu backend', () => {
    it.each<Case>([
        ['Sum over leading axes', { x: spec([4, 9, 9, 64], 61) }, { axis: [0, 1, 2], keepDims: false }],
        ['Sum over leading axes, keepDims', { x: spec([4, 9, 9, 64], 62) }, { axis: [0, 1, 2], keepDims: true }],
        ['Sum over the last axis', { x: spec([4, 9, 9, 64], 63) }, { axis: [3], keepDims: false }],
        ['Sum over the middle axes [1, 2]', { x: spec([4, 9, 9, 64], 66) }, { axis: [1, 2], keepDims: false }],
        ['Sum over axis 1 of 3, keepDims', { x: spec([6, 50, 40], 67) }, { axis: 1, keepDims: true }]
    ])('%s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Sum', inputs, attrs), 2e-6);
    });
    it.each<Case>([
        ['Mean over leading axes', { x: spec([4, 9, 9, 64], 64) }, { axis: [0, 1, 2], keepDims: false }],
        ['Mean over axis 0', { x: spec([5000, 6], 65) }, { axis: 0, keepDims: false }],
        ['Mean over [1, 2]: global average pooling of a MobileNetV2 batch', { x: spec([32, 3, 3, 1280], 68) }, { axis: [1, 2], keepDims: false }],
        ['Mean over [-3, -2], keepDims', { x: spec([4, 7, 5, 64], 69) }, { axis: [-3, -2], keepDims: true }],
        ['Mean over [1, 3] (not contiguous: the native kernel)', { x: spec([4, 9, 9, 64], 70) }, { axis: [1, 3], keepDims: false }]
    ])('%s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Mean', inputs, attrs), 2e-6);
    });
    it.each<Case>([
        ['Tile a channel vector', { x: spec([1, 1, 1, 6], 71) }, { reps: [4, 9, 9, 1] }],
        ['Tile a matrix', { x: spec([2, 3], 72) }, { reps: [3, 2] }],
        ['Tile 3-D', { x: spec([2, 3, 4], 73) }, { reps: [2, 2, 2] }]
    ])('%s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Tile', inputs, attrs), 0);
    });
    it.each<Case>([
        ['Slice a window', { x: spec([4, 9, 9, 6], 81) }, { begin: [1, 2, 3, 0], size: [2, 5, 4, 6] }],
        ['Slice rows', { x: spec([4, 9, 9, 6], 82) }, { begin: [1, 2, 0, 0], size: [2, 5, 9, 6] }],
        ['Slice with -1 size', { x: spec([4, 9, 9, 6], 83) }, { begin: [1, 2, 0, 1], size: [2, 5, 9, -1] }]
    ])('%s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Slice', inputs, attrs), 0);
    });
    it.each<Case>([
        ['BatchMatMul transposeA', { a: spec([7, 5], 91), b: spec([7, 3], 92) }, { transposeA: true, transposeB: false }],
        ['BatchMatMul transposeB', { a: spec([7, 5], 93), b: spec([3, 5], 94) }, { transposeA: false, transposeB: true }],
        ['BatchMatMul both, batched', { a: spec([2, 7, 5], 95), b: spec([2, 3, 7], 96) }, { transposeA: true, transposeB: true }],
        ['BatchMatMul broadcast b', { a: spec([2, 4, 7, 5], 97), b: spec([5, 3], 98) }, { transposeA: false, transposeB: false }]
    ])('%s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('BatchMatMul', inputs, attrs), 1e-6);
    });
});

describe('memory-layout kernels on wasm', () => {
    it('GatherV2 along axis 0 and 1 matches cpu', async () => {
        const indices = { shape: [5], values: new Float32Array([3, 0, 3, 1, 2]) };
        const derive = (t: Record<string, tf.Tensor>) => ({ indices: tf.cast(t['indices']!, 'int32') });
        expectClose(await compareKernel('GatherV2', { x: spec([4, 6, 3], 101), indices }, { axis: 0, batchDims: 0 }, derive), 0);
        expectClose(await compareKernel('GatherV2', { x: spec([4, 6, 3], 102), indices }, { axis: 1, batchDims: 0 }, derive), 0);
        // Rows of 64 elements and more are moved with copyWithin (a batch of cached features).
        expectClose(await compareKernel('GatherV2', { x: spec([4, 80], 103), indices }, { axis: 0, batchDims: 0 }, derive), 0);
        expectClose(await compareKernel('GatherV2', { x: spec([2, 4, 70], 104), indices }, { axis: 1, batchDims: 0 }, derive), 0);
    });
    it('Cast to the same dtype shares memory; other casts convert as on cpu (bool: non-zero is true)', async () => {
        await tf.setBackend('wasm');
        const x = tf.tensor2d([1.5, -2, 0, 4], [2, 2]);
        const y = tf.cast(x, 'float32');
        expect(y.dataId).toBe(x.dataId);
        expect(tf.engine().backend.refCount(x.dataId)).toBe(2);
        y.dispose();
        expect(Array.from(x.dataSync())).toEqual([1.5, -2, 0, 4]);
        expect(Array.from(tf.cast(x, 'int32').dataSync())).toEqual([1, -2, 0, 4]);
        expect(Array.from(tf.cast(x, 'bool').dataSync())).toEqual([1, 1, 0, 1]);
        expect(Array.from(tf.cast(tf.tensor1d([0.5, -0.25, 0, NaN]), 'bool').dataSync())).toEqual([1, 1, 0, 1]);
        x.dispose();
    });
    it('GatherV2 rejects an out-of-range index', async () => {
        await tf.setBackend('wasm');
        expect(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32'))).toThrow(/index 3 is not in \[0, 2\]/);
    });
    it('Identity shares memory: cloning does not copy, disposing the clone keeps the original', async () => {
        await tf.setBackend('wasm');
        const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
        const before = tf.memory().numBytes;
        const y = tf.clone(x);
        expect(tf.engine().backend.refCount(x.dataId)).toBe(2);
        y.dispose();
        expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4]);
        expect(tf.memory().numBytes).toBe(before);
        x.dispose();
    });
});

describe('dilated depthwise gradients (the undilated zero-filled filter on cpu as reference)', () => {
    // 3x3 taps at dilation 2 are the 5x5 filter with zeros between the taps.
    const dilate = (f: Float32Array, c: number) => {
        const out = new Float32Array(5 * 5 * c);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < c; k++) out[(i * 2 * 5 + j * 2) * c + k] = f[(i * 3 + j) * c + k]!;
        return out;
    };
    const run = async (backend: string, kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => {
        await tf.setBackend(backend);
        const moved = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, tf.tensor(t.dataSync(), t.shape)]));
        return (tf.engine().runKernel(kernel, moved, attrs as tf.NamedAttrMap) as tf.Tensor).dataSync() as Float32Array;
    };
    const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

    it('DepthwiseConv2dNativeBackpropInput, dilation 2', async () => {
        const c = 3;
        const dy = tf.tensor(spec([2, 7, 7, c], 111).values, [2, 7, 7, c]);
        const f = spec([3, 3, c, 1], 112).values;
        const attrs = { strides: [1, 1], pad: 'same', inputShape: [2, 7, 7, c] };
        const ours = await run('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: tf.tensor(f, [3, 3, c, 1]) }, { ...attrs, dilations: [2, 2] });
        const ref = await run('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: tf.tensor(dilate(f, c), [5, 5, c, 1]) }, { ...attrs, dilations: [1, 1] });
        expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-5);
    });

    it('DepthwiseConv2dNativeBackpropFilter, dilation 2', async () => {
        const c = 3;
        const x = tf.tensor(spec([2, 7, 7, c], 113).values, [2, 7, 7, c]);
        const dy = tf.tensor(spec([2, 7, 7, c], 114).values, [2, 7, 7, c]);
        const ours = await run('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dilations: [2, 2], filterShape: [3, 3, c, 1] });
        const full = await run('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dilations: [1, 1], filterShape: [5, 5, c, 1] });
        const taps = new Float32Array(9 * c);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < c; k++) taps[(i * 3 + j) * c + k] = full[(i * 2 * 5 + j * 2) * c + k]!;
        expect(maxAbsDiff(ours, taps)).toBeLessThan(1e-5);
    });
});

describe('element-wise heap kernels on wasm match cpu', () => {
    const scalar = (v: number) => ({ shape: [], values: new Float32Array([v]) });
    it.each(['GreaterEqual', 'LessEqual', 'Greater', 'Less'])('%s against a scalar, same shape and a broadcast', async (kernel) => {
        expectClose(await compareKernel(kernel, { a: spec([3, 5, 7, 4], 131), b: scalar(0.25) }, {}), 0);
        expectClose(await compareKernel(kernel, { a: spec([3, 5, 7, 4], 132), b: spec([3, 5, 7, 4], 133) }, {}), 0);
        // Ties: equal values on both sides.
        const ties = (t: Record<string, tf.Tensor>) => ({ a: tf.round(tf.mul(t['a']!, 2)), b: tf.round(tf.mul(t['b']!, 2)) });
        expectClose(await compareKernel(kernel, { a: spec([2, 9, 5], 134), b: spec([2, 9, 5], 135) }, {}, ties), 0);
        // A channel broadcast goes to the native kernel.
        expectClose(await compareKernel(kernel, { a: spec([2, 3, 3, 5], 136), b: spec([5], 137) }, {}), 0);
    });
    it('LogicalAnd, and the native Select after it', async () => {
        const masks = (t: Record<string, tf.Tensor>) => ({ a: tf.greaterEqual(t['a']!, 0), b: tf.lessEqual(t['b']!, 0.5) });
        expectClose(await compareKernel('LogicalAnd', { a: spec([4, 3, 3, 6], 138), b: spec([4, 3, 3, 6], 139) }, {}, masks), 0);
        const cond = (t: Record<string, tf.Tensor>) => ({ condition: tf.greater(t['condition']!, 0) });
        const inputs = { condition: spec([4, 3, 3, 6], 140), t: spec([4, 3, 3, 6], 141), e: spec([4, 3, 3, 6], 142) };
        expectClose(await compareKernel('Select', inputs, {}, cond), 0);
        const rowCond = { condition: spec([4], 143), t: spec([4, 5], 144), e: spec([4, 5], 145) };
        expectClose(await compareKernel('Select', rowCond, {}, cond), 0);
    });
    // Activation gradients (one fused pass on wasm, see activation-grads.ts), with inputs on the
    // bounds: x = round(8 * u) hits 0 and 6 exactly.
    it.each<[string, (v: tf.Tensor) => tf.Tensor]>([
        ['relu', (v) => tf.relu(v)],
        ['relu6', (v) => tf.relu6(v)],
        ['clipByValue [0, 6] (tf.layers ReLU with maxValue)', (v) => tf.clipByValue(tf.relu(v), 0, 6)],
        ['clipByValue [-2.5, 3]', (v) => tf.clipByValue(v, -2.5, 3)]
    ])('the %s gradient', async (_, f) => {
        const grad = (t: Record<string, tf.Tensor>) => ({
            x: tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), t['w']!)))(tf.round(tf.mul(t['x']!, 8)))
        });
        expectClose(await compareKernel('Identity', { x: spec([2, 3, 5, 10], 146), w: spec([2, 3, 5, 10], 147) }, {}, grad), 0);
    });
    it('the activation gradients run as one kernel on wasm', async () => {
        await tf.setBackend('wasm');
        const x = tf.tensor(spec([2, 3, 3, 4], 148).values, [2, 3, 3, 4]);
        const info = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(tf.clipByValue(tf.relu(v), 0, 6)))(x));
        const names = info.kernels.map((k) => k.name);
        expect(names.filter((n) => n === 'GraftMaskedGrad')).toHaveLength(1); // relu's stays native
        expect(names).not.toContain('Select');
    });
});

describe('BatchNorm moving statistics in one kernel (moving-average.ts)', () => {
    it('give the bits of tf.layers\' Sub, Multiply, Sub', async () => {
        await useWasm();
        const moving = tf.tensor1d(spec([67], 161).values.map((v) => v * 3));
        const batch = tf.tensor1d(spec([67], 162).values.map((v) => v * 5 + 1));
        for (const momentum of [0.99, 0.999, 0.9]) {
            const fused = tf.engine().runKernel(MOVING_AVERAGE, { moving, batch }, { keep: 1 - momentum }) as tf.Tensor;
            const ops = tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - momentum));
            expect(Array.from(fused.dataSync())).toEqual(Array.from(ops.dataSync()));
            tf.dispose([fused, ops]);
        }
        tf.dispose([moving, batch]);
    });
});

describe('the gradient of Mean without a tensor of ones (mean-grad.ts)', () => {
    // tfjs' own formula, written out: (reshape(dy) * ones(x.shape)) / n.
    const reference = (x: tf.Tensor, dy: tf.Tensor, axes: number[]) => {
        const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
        return tf.div(tf.mul(tf.reshape(dy, expanded), tf.ones(x.shape)), n);
    };
    const cases: [string, number[], number | number[], boolean][] = [
        ['global average pooling, NHWC axes [1, 2]', [4, 3, 5, 7], [1, 2], false],
        ['a loss average over everything', [6, 5], [0, 1], false],
        ['one negative axis, keepDims', [3, 4, 6], -1, true],
        ['axes out of order [2, 0]', [2, 3, 4], [2, 0], false]
    ];
    for (const backend of ['wasm', 'cpu']) {
        for (const [name, shape, axis, keepDims] of cases) {
            it(`${name} on ${backend}: the bits of tfjs' formula, with no ones-sized Multiply`, async () => {
                await useWasm(); // registers the gradient
                await tf.setBackend(backend);
                const x = tf.tensor(spec(shape, 171).values, shape);
                const axes = tf.util.parseAxisParam(axis, shape);
                const outShape = keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
                const dy = tf.tensor(spec(outShape, 172).values.map((v) => v * 7), outShape);
                const info = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.mean(v, axis, keepDims))(x, dy));
                const grad = info.result as tf.Tensor;
                const ref = reference(x, dy, axes);
                expect(grad.shape).toEqual(shape);
                expect(Array.from(grad.dataSync())).toEqual(Array.from(ref.dataSync()));
                expect(info.kernelNames).toContain('Tile');
                expect(info.kernelNames).not.toContain('Multiply');
                tf.dispose([x, dy, grad, ref]);
            });
        }
    }
});

describe('batchnorm gradient on wasm (batchnorm-grad.ts) matches cpu', () => {
    // All five gradients (x, mean, variance, scale, offset) flattened into one tensor.
    const allGrads = (t: Record<string, tf.Tensor>) => {
        const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) =>
            tf.sum(tf.mul(tf.batchNorm(x, mean, variance, offset, scale, 1e-3), t['w']!));
        const variance = tf.add(tf.abs(t['variance']!), 0.1);
        const grads = tf.grads(f)([t['x']!, t['mean']!, variance, t['scale']!, t['offset']!]);
        return { x: tf.concat(grads.map((g) => tf.reshape(g, [-1]))) };
    };
    it.each<[string, number[]]>([
        ['one-kernel loop, 4-D', [4, 3, 3, 40]],
        ['one-kernel loop, 2-D, batch 1', [1, 24]],
        ['composite, large 4-D', [8, 16, 16, 32]]
    ])('%s', async (_, shape) => {
        const c = shape[shape.length - 1]!;
        const inputs = {
            x: spec(shape, 161),
            w: spec(shape, 162),
            mean: spec([c], 163),
            variance: spec([c], 164),
            scale: spec([c], 165),
            offset: spec([c], 166)
        };
        expectClose(await compareKernel('Identity', inputs, {}, allGrads), 1e-5);
    });
    it('a training-mode BatchNormalization layer (gradients through the batch moments too)', async () => {
        const grads = (t: Record<string, tf.Tensor>) => {
            const layer = tf.layers.batchNormalization({ epsilon: 1e-3, gammaInitializer: 'ones' });
            layer.build([null, 5, 5, 12]);
            const f = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, t['w']!));
            return { x: tf.grad(f)(t['x']!) };
        };
        expectClose(await compareKernel('Identity', { x: spec([3, 5, 5, 12], 167, 0.5), w: spec([3, 5, 5, 12], 168) }, {}, grads), 1e-4);
    });
});

describe('FusedBatchNorm on wasm (channel-affine.ts, a depthwise 1x1 convolution) matches cpu', () => {
    const positiveVariance = (t: Record<string, tf.Tensor>) => ({ variance: tf.add(tf.abs(t['variance']!), 0.1) });
    it.each<[string, number[], boolean]>([
        ['4-D, per-channel parameters', [4, 5, 3, 12], true],
        ['2-D, batch 1', [1, 7], true],
        ['3-D, no scale or offset', [2, 6, 5], false],
        ['small_cnn-sized', [8, 28, 28, 32], true]
    ])('%s', async (_, shape, withAffine) => {
        const c = shape[shape.length - 1]!;
        const inputs: Record<string, { shape: number[]; values: Float32Array }> = { x: spec(shape, 171), mean: spec([c], 172), variance: spec([c], 173) };
        if (withAffine) Object.assign(inputs, { offset: spec([c], 174), scale: spec([c], 175) });
        expectClose(await compareKernel('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }, positiveVariance), 1e-6);
    });
    it('scalar mean and variance', async () => {
        const inputs = { x: spec([3, 4, 6], 176), mean: spec([1], 177), variance: spec([1], 178), scale: spec([6], 179) };
        expectClose(await compareKernel('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }, positiveVariance), 1e-6);
    });
});

describe('channel-vector Multiply, Add, Sub on wasm (a depthwise 1x1 convolution) match cpu exactly', () => {
    it.each<[string, number[], number[]]>([
        ['[n, h, w, c] op [c]', [4, 16, 16, 32], [32]],
        ['[c] op [n, h, w, c]', [32], [4, 16, 16, 32]],
        ['[n, h, w, c] op [1, 1, 1, c]', [2, 30, 30, 24], [1, 1, 1, 24]],
        ['[rows, c] op [1, c], batch 1', [1, 20000], [1, 20000]],
        ['[rows, c] op [c]', [2000, 9], [9]],
        ['small: native path', [2, 3, 3, 4], [4]]
    ])('%s', async (_, aShape, bShape) => {
        for (const op of ['Multiply', 'Add', 'Sub']) {
            expectClose(await compareKernel(op, { a: spec(aShape, 181), b: spec(bShape, 182) }, {}), 0);
        }
    });
});
