// Each kernel Graft registers for wasm, against the cpu backend's kernel on random inputs with
// negative values (max abs difference).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runOriginal } from '../../src/runtime/backend/wasm-kernels/composite.js';
import { compareKernel, spec, useWasm } from './compare.js';

beforeAll(useWasm);

const NHWC = { dataFormat: 'NHWC' };
type Case = [string, Record<string, { shape: number[]; values: Float32Array }>, Record<string, unknown>];

const convFilterCases: Case[] = [
    ['3x3 stride 1 same', { x: spec([2, 7, 7, 3], 1), dy: spec([2, 7, 7, 5], 2) }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, 3, 5] }],
    ['3x3 stride 2 same', { x: spec([2, 8, 8, 3], 3), dy: spec([2, 4, 4, 5], 4) }, { strides: [2, 2], pad: 'same', filterShape: [3, 3, 3, 5] }],
    ['3x3 stride 2 valid, odd size', { x: spec([2, 9, 9, 4], 5), dy: spec([2, 4, 4, 2], 6) }, { strides: [2, 2], pad: 'valid', filterShape: [3, 3, 4, 2] }],
    ['1x1 stride 1 (pointwise)', { x: spec([2, 6, 6, 8], 7), dy: spec([2, 6, 6, 4], 8) }, { strides: [1, 1], pad: 'same', filterShape: [1, 1, 8, 4] }],
    ['1x1 stride 2', { x: spec([2, 8, 8, 3], 9), dy: spec([2, 4, 4, 5], 10) }, { strides: [2, 2], pad: 'valid', filterShape: [1, 1, 3, 5] }],
    ['7x7 stride 2 same (ResNet stem)', { x: spec([2, 16, 16, 3], 11), dy: spec([2, 8, 8, 8], 12) }, { strides: [2, 2], pad: 'same', filterShape: [7, 7, 3, 8] }],
    ['explicit padding', { x: spec([1, 6, 6, 2], 13), dy: spec([1, 6, 6, 3], 14) }, { strides: [1, 1], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], filterShape: [3, 3, 2, 3] }]
];

const convInputCases: Case[] = [
    ['3x3 stride 1 same', { dy: spec([2, 7, 7, 5], 21), filter: spec([3, 3, 3, 5], 22) }, { strides: [1, 1], pad: 'same', inputShape: [2, 7, 7, 3] }],
    ['3x3 stride 2 same', { dy: spec([2, 4, 4, 5], 23), filter: spec([3, 3, 3, 5], 24) }, { strides: [2, 2], pad: 'same', inputShape: [2, 8, 8, 3] }],
    ['3x3 stride 2 valid, unused last row', { dy: spec([2, 4, 4, 2], 25), filter: spec([3, 3, 4, 2], 26) }, { strides: [2, 2], pad: 'valid', inputShape: [2, 10, 10, 4] }],
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
    ['3x3 stride 2 valid, multiplier 2', { x: spec([2, 9, 9, 3], 45), dy: spec([2, 4, 4, 6], 46) }, { strides: [2, 2], dilations: [1, 1], pad: 'valid', filterShape: [3, 3, 3, 2] }]
];

const poolCases: Case[] = [
    ['2x2 stride 2', { dy: spec([2, 4, 4, 3], 51), input: spec([2, 8, 8, 3], 52) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }],
    ['2x2 stride 2, odd input', { dy: spec([2, 3, 3, 3], 53), input: spec([2, 7, 7, 3], 54) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }],
    ['3x3 stride 2 same (ResNet)', { dy: spec([2, 4, 4, 3], 55), input: spec([2, 8, 8, 3], 56) }, { filterSize: [3, 3], strides: [2, 2], pad: 'same' }],
    ['2x2 stride 2 same, odd input', { dy: spec([2, 4, 4, 3], 57), input: spec([2, 7, 7, 3], 58) }, { filterSize: [2, 2], strides: [2, 2], pad: 'same' }],
    ['2x2 stride 2, all inputs negative', { dy: spec([2, 4, 4, 3], 59), input: spec([2, 8, 8, 3], 60, -2) }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }]
];

function expectClose(r: { maxDiff: number; maxRef: number }, tolerance = 1e-5): void {
    expect(r.maxRef).toBeGreaterThan(0);
    expect(r.maxDiff).toBeLessThanOrEqual(tolerance * Math.max(1, r.maxRef));
}

describe('wasm gradient kernels match the cpu backend', () => {
    it.each(convFilterCases)('Conv2DBackpropFilter %s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Conv2DBackpropFilter', inputs, { ...NHWC, ...attrs }));
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
        ['Sum over the last axis', { x: spec([4, 9, 9, 64], 63) }, { axis: [3], keepDims: false }]
    ])('%s', async (_, inputs, attrs) => {
        expectClose(await compareKernel('Sum', inputs, attrs), 2e-6);
    });
    it.each<Case>([
        ['Mean over leading axes', { x: spec([4, 9, 9, 64], 64) }, { axis: [0, 1, 2], keepDims: false }],
        ['Mean over axis 0', { x: spec([5000, 6], 65) }, { axis: 0, keepDims: false }]
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
