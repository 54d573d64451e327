// Graft's native kernels (oneDNN on the wasm heap, native/graft_kernels.cc) against the pure JS
// cpu backend on random signed inputs, and proof that the native path (not its wasm fallback) ran.
// The suite skips, saying why, where the addon is not built (no g++ or libdnnl-dev).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../src/runtime/backend/native-kernels/addon.js';
import { BATCHNORM_TRAIN } from '../../src/runtime/backend/native-kernels/batchnorm-train.js';
import { RELU_GRAD } from '../../src/runtime/backend/native-kernels/relu.js';
import { nativeCalls, nativeFallbacks } from '../../src/runtime/backend/native-kernels/register.js';
import { batchNormalization } from '../../src/runtime/zoo/batchnorm-layer.js';
import { nativeKernelState } from '../../src/runtime/backend/select.js';
import { compareKernel, spec, useWasm } from './compare.js';

const load = loadNativeAddon();
const skipReason = load.ok ? '' : `native kernels not built here: ${load.reason}`;
if (!load.ok) console.warn(`test/backend/native-kernels.test.ts skipped: ${skipReason}`);

type Inputs = Record<string, { shape: number[]; values: Float32Array }>;

/** cpu vs wasm+native: the result agrees and `kernel` ran natively (`native` false: it must fall back). */
async function check(kernel: string, inputs: Inputs, attrs: Record<string, unknown>, native = true, tolerance = 2e-5): Promise<void> {
    const before = nativeCalls.get(kernel) ?? 0;
    const { maxDiff, maxRef } = await compareKernel(kernel, inputs, attrs);
    expect(maxDiff).toBeLessThanOrEqual(tolerance * Math.max(1, maxRef));
    // compareKernel runs the kernel once on wasm.
    expect((nativeCalls.get(kernel) ?? 0) - before).toBe(native ? 1 : 0);
}

describe.skipIf(!load.ok)('native kernels (oneDNN) match the cpu backend', () => {
    beforeAll(async () => {
        await useWasm();
        expect(nativeKernelState()).toMatchObject({ active: true });
    });

    const conv = (x: number[], f: number[], attrs: Record<string, unknown>, seed: number) =>
        [{ x: spec(x, seed), filter: spec(f, seed + 1) }, { strides: [1, 1], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC', ...attrs }] as const;

    it.each([
        ['3x3 same', ...conv([2, 7, 7, 3], [3, 3, 3, 5], {}, 1)],
        ['3x3 stride 2 same, odd size', ...conv([2, 9, 7, 4], [3, 3, 4, 6], { strides: [2, 2] }, 3)],
        ['3x3 stride 2 valid', ...conv([1, 10, 10, 2], [3, 3, 2, 3], { strides: [2, 2], pad: 'valid' }, 5)],
        ['5x5 explicit asymmetric padding', ...conv([2, 11, 10, 3], [5, 5, 3, 2], { strides: [3, 3], pad: [[0, 0], [2, 1], [1, 2], [0, 0]] }, 7)],
        ['3x3 dilation 2', ...conv([2, 9, 9, 3], [3, 3, 3, 4], { dilations: [2, 2] }, 9)],
        ['1x1 pointwise', ...conv([2, 6, 6, 16], [1, 1, 16, 24], {}, 11)],
        ['one input channel (small_cnn stem)', ...conv([4, 12, 12, 1], [3, 3, 1, 8], {}, 13)]
    ])('Conv2D %s', async (_name, inputs, attrs) => check('Conv2D', inputs, attrs));

    it.each(['linear', 'relu', 'relu6', 'leakyrelu', 'elu', 'sigmoid'])('FusedConv2D with bias and %s', async (activation) => {
        const [inputs, attrs] = conv([2, 8, 8, 4], [3, 3, 4, 6], { strides: [2, 2], activation, leakyreluAlpha: 0.3 }, 21);
        await check('FusedConv2D', { ...inputs, bias: spec([6], 23) }, attrs);
    });

    it('FusedConv2D with prelu falls back to wasm and stays right', async () => {
        const [inputs, attrs] = conv([1, 5, 5, 2], [3, 3, 2, 3], { activation: 'prelu' }, 25);
        await check('FusedConv2D', { ...inputs, bias: spec([3], 27), preluActivationWeights: spec([3], 28) }, attrs, false);
    });

    it('a filter gradient in NCHW falls back to the wasm kernel and stays right', async () => {
        await check('Conv2DBackpropFilter', { x: spec([2, 3, 7, 7], 29), dy: spec([2, 5, 7, 7], 30) }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, 3, 5], dataFormat: 'NCHW' }, false);
    });

    it.each([
        ['stride 1 same', [2, 7, 7, 6], [3, 3, 6, 1], { strides: [1, 1], pad: 'same' }],
        ['stride 2 same, multiplier 2', [2, 9, 9, 3], [3, 3, 3, 2], { strides: [2, 2], pad: 'same' }],
        ['stride 2 valid, non-square', [1, 9, 7, 5], [3, 3, 5, 1], { strides: [2, 2], pad: 'valid' }]
    ])('DepthwiseConv2dNative %s, forward and both gradients', async (_name, x, f, attrs) => {
        const base = { dilations: [1, 1], ...attrs };
        await check('DepthwiseConv2dNative', { x: spec(x, 31), filter: spec(f, 32) }, base);
        const out = tf.backend_util.computeConv2DInfo(x as number[] as [number, number, number, number], f as number[] as [number, number, number, number], base.strides as [number, number], 1, base.pad as 'same', undefined, true);
        const dy = [out.batchSize, out.outHeight, out.outWidth, out.outChannels];
        await check('DepthwiseConv2dNativeBackpropInput', { dy: spec(dy, 33), filter: spec(f, 34) }, { ...base, inputShape: x });
        await check('DepthwiseConv2dNativeBackpropFilter', { x: spec(x, 35), dy: spec(dy, 36) }, { ...base, filterShape: f });
    });

    it('FusedDepthwiseConv2D with bias and relu6 (MobileNet blocks)', async () => {
        await check(
            'FusedDepthwiseConv2D',
            { x: spec([2, 8, 8, 12], 37), filter: spec([3, 3, 12, 1], 38), bias: spec([12], 39) },
            { strides: [2, 2], pad: 'same', dilations: [1, 1], activation: 'relu6' }
        );
    });

    it('Conv2D gradients: input (stride 2, same) and filter (valid, stride 2)', async () => {
        await check('Conv2DBackpropInput', { dy: spec([2, 4, 4, 5], 41), filter: spec([3, 3, 3, 5], 42) }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: [2, 8, 8, 3] });
        await check('Conv2DBackpropFilter', { x: spec([2, 9, 9, 4], 43), dy: spec([2, 4, 4, 2], 44) }, { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 4, 2] });
    });

    it.each([
        ['plain', [5, 7], [7, 3], false, false],
        ['a transposed (dense weight gradient)', [7, 5], [7, 3], true, false],
        ['b transposed (dense input gradient)', [5, 7], [3, 7], false, true],
        ['both transposed, batched', [2, 7, 5], [2, 3, 7], true, true],
        ['batched a, one b (folded into one product)', [2, 4, 5, 7], [7, 3], false, false],
        ['one a, batched b', [5, 7], [3, 7, 2], false, false]
    ])('BatchMatMul %s', async (_name, a, b, transposeA, transposeB) => {
        await check('BatchMatMul', { a: spec(a as number[], 51), b: spec(b as number[], 52) }, { transposeA, transposeB }, true, 1e-5);
    });

    it.each(['linear', 'relu', 'sigmoid'])('_FusedMatMul with bias and %s', async (activation) => {
        await check('_FusedMatMul', { a: spec([6, 9], 53), b: spec([9, 4], 54), bias: spec([4], 55) }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 }, true, 1e-5);
    });

    it.each([
        ['Sub', [4, 5, 5, 6], [6]],
        ['Sub', [1, 1, 1, 6], [4, 5, 5, 6]],
        ['Multiply', [4, 5, 5, 6], [1, 1, 1, 6]],
        ['Add', [3, 8], [8]],
        ['RealDiv', [4, 5, 5, 6], []],
        ['RealDiv', [], [4, 6]]
    ])('%s broadcast along channels: %j with %j', async (kernel, a, b) => {
        // Divisors away from zero: the comparison is about the broadcast, not about 1/ε.
        const offset = kernel === 'RealDiv' ? 3 : 0;
        await check(kernel, { a: spec(a, 61, offset), b: spec(b, 62, offset) }, {});
    });

    it('a broadcast over a middle axis falls back to wasm', async () => {
        await check('Add', { a: spec([4, 5, 6], 63), b: spec([4, 1, 6], 64) }, {}, false);
    });

    it.each([
        ['per-channel parameters', [6], true],
        ['rank-4 parameters, no offset or scale', [1, 1, 1, 6], false]
    ])('FusedBatchNorm with %s', async (_name, p, affine) => {
        const inputs: Inputs = { x: spec([3, 4, 4, 6], 71), mean: spec(p as number[], 72), variance: spec(p as number[], 73, 1.5) };
        if (affine) Object.assign(inputs, { offset: spec(p as number[], 74), scale: spec(p as number[], 75) });
        await check('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 });
    });

    it.each([
        ['2x2 stride 2 (small_cnn)', [2, 8, 8, 5], [2, 2], [2, 2], 'valid'],
        ['2x2 stride 2, odd input', [2, 7, 7, 3], [2, 2], [2, 2], 'valid'],
        ['3x3 stride 2 same, overlapping (ResNet)', [2, 9, 9, 4], [3, 3], [2, 2], 'same'],
        ['3x3 stride 1 same', [1, 5, 6, 3], [3, 3], [1, 1], 'same']
    ])('MaxPoolGrad %s, signed inputs and ties', async (_name, x, filterSize, strides, pad) => {
        // Negative windows (wasm's own kernel got these wrong) and exact ties (rounded values).
        const values = spec(x as number[], 81).values.map((v) => Math.round(v * 4) / 4);
        const xt = tf.tensor4d(values, x as number[] as [number, number, number, number]);
        const pooled = tf.maxPool(xt, filterSize as [number, number], strides as [number, number], pad as 'same');
        const output = { shape: pooled.shape, values: pooled.dataSync() as Float32Array };
        tf.dispose([xt, pooled]);
        await check('MaxPoolGrad', { dy: spec(output.shape, 82), input: { shape: x as number[], values }, output }, { filterSize, strides, pad });
    });

    it.each([
        ['2x2 stride 2 (small_cnn), large enough to split over threads', [8, 28, 28, 32], [2, 2], [2, 2], 'valid'],
        ['2x2 stride 2, odd input', [2, 7, 7, 3], [2, 2], [2, 2], 'valid'],
        ['3x3 stride 2 same, overlapping (ResNet)', [2, 9, 9, 4], [3, 3], [2, 2], 'same'],
        ['3x3 stride 1 same', [1, 5, 6, 3], [3, 3], [1, 1], 'same']
    ])('MaxPool %s, signed inputs and ties', async (_name, x, filterSize, strides, pad) => {
        const values = spec(x as number[], 91).values.map((v) => Math.round(v * 4) / 4);
        await check('MaxPool', { x: { shape: x as number[], values } }, { filterSize, strides, pad, dimRoundingMode: undefined }, true, 0);
    });

    it('BatchNorm in training mode: output, moving statistics and every gradient as tf.layers computes them on cpu', async () => {
        // Values far from zero (mean ≈ 5): the variance must not cancel.
        const shape = [6, 5, 5, 7];
        const xValues = spec(shape, 101, 5).values;
        const run = async (backend: string) => {
            await tf.setBackend(backend);
            const tensorsBefore = tf.memory().numTensors;
            const layer = batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
            layer.build(shape);
            const init = [tf.tensor1d(spec([7], 102, 1).values), tf.tensor1d(spec([7], 103).values)];
            layer.setWeights([...init, ...layer.getWeights().slice(2)]);
            tf.dispose(init);
            const x = tf.tensor(xValues, shape);
            const dy = tf.tensor(spec(shape, 104).values, shape);
            const before = nativeCalls.get(BATCHNORM_TRAIN) ?? 0;
            const f = (xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, dy));
            const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, layer.trainableWeights.map((w) => w.read() as tf.Variable));
            // Outside any tape too (BatchNorm recalibration calls layers in training mode this way).
            tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor);
            const dx = tf.grad((xi: tf.Tensor) => f(xi))(x);
            const out = {
                loss: value.dataSync()[0]!,
                grads: Object.values(grads).map((g) => Array.from(g.dataSync())),
                dx: Array.from(dx.dataSync()),
                moving: layer.getWeights().slice(2).map((w) => Array.from(w.dataSync())),
                fusedCalls: (nativeCalls.get(BATCHNORM_TRAIN) ?? 0) - before
            };
            tf.dispose([x, dy, value, dx, ...Object.values(grads)]);
            for (const w of layer.weights) w.dispose();
            return { ...out, leaked: tf.memory().numTensors - tensorsBefore };
        };
        const cpu = await run('cpu');
        const wasm = await run('wasm');
        // The fused kernels ran on wasm (the moving statistics were updated twice: grad and variableGrads).
        expect(cpu.fusedCalls).toBe(0);
        // The fused path leaks nothing that tf.layers' own does not (its statistics included).
        expect(wasm.leaked).toBe(cpu.leaked);
        expect(wasm.fusedCalls).toBeGreaterThan(0);
        expect(wasm.loss).toBeCloseTo(cpu.loss, 3);
        const close = (a: number[], b: number[], tol: number) => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
        wasm.grads.forEach((g, i) => close(g, cpu.grads[i]!, 1e-4));
        close(wasm.dx, cpu.dx, 1e-4);
        wasm.moving.forEach((m, i) => close(m, cpu.moving[i]!, 1e-5));
        // The moving mean moved towards the batch mean (≈5) from 0.
        expect(Math.min(...wasm.moving[0]!)).toBeGreaterThan(0.5);
        await useWasm();
    });

    it('Relu and its gradient (GraftReluGrad, one pass) match the cpu backend, zeros and NaN included', async () => {
        // Large enough to be split over the threads; exact zeros and a NaN on the boundary cases.
        const specials = (t: Record<string, tf.Tensor>) => {
            const x = tf.round(tf.mul(t['x']!, 4));
            const withNan = tf.where(tf.equal(tf.range(0, x.size).reshape(x.shape), 7), tf.fill(x.shape, NaN), x);
            return { x: withNan, dy: t['dy']! };
        };
        const inputs = { x: spec([4, 40, 40, 48], 151), dy: spec([4, 40, 40, 48], 152) };
        await check('Relu', { x: inputs.x }, {}, true, 0);
        const grads: Float32Array[] = [];
        for (const backend of ['cpu', 'wasm']) {
            await tf.setBackend(backend);
            grads.push(
                tf.tidy(() => {
                    const t = specials({ x: tf.tensor(inputs.x.values, inputs.x.shape), dy: tf.tensor(inputs.dy.values, inputs.dy.shape) });
                    return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), t.dy)))(t.x).dataSync() as Float32Array;
                })
            );
        }
        const before = nativeCalls.get(RELU_GRAD) ?? 0;
        tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(tf.tensor(inputs.x.values, inputs.x.shape)));
        expect((nativeCalls.get(RELU_GRAD) ?? 0) - before).toBe(1);
        expect(Number.isNaN(grads[1]![7])).toBe(true);
        expect(Array.from(grads[1]!)).toEqual(Array.from(grads[0]!));
        await useWasm();
    });

    it('a ReLU before a max-pool has its gradient folded into the pool\'s (relu-fold.ts): the cpu backend\'s values, one kernel fewer', async () => {
        // conv-block shape: ReLU → 2x2 max-pool, and a 3x3 stride-2 same pool (overlapping windows);
        // values rounded to quarters so windows tie and many cells are exactly 0 after the ReLU.
        const cases: [[number, number, number, number], [number, number], [number, number], 'valid' | 'same'][] = [
            [[4, 28, 28, 32], [2, 2], [2, 2], 'valid'],
            [[2, 9, 9, 4], [3, 3], [2, 2], 'same']
        ];
        for (const [shape, filterSize, strides, pad] of cases) {
            const xValues = spec(shape, 161).values.map((v) => Math.round(v * 4) / 4);
            const pooledShape = tf.tidy(() => tf.maxPool(tf.zeros(shape) as tf.Tensor4D, filterSize, strides, pad).shape);
            const dyValues = spec(pooledShape, 162).values;
            // once: the pool alone uses the ReLU; twice: the ReLU's output is also added to the loss,
            // so its gradient is a sum and the ReLU's own gradient must run.
            const grad = (twice: boolean) =>
                tf.tidy(() => {
                    const x = tf.tensor(xValues, shape) as tf.Tensor4D;
                    const dy = tf.tensor(dyValues, pooledShape);
                    const f = (v: tf.Tensor) => {
                        const r = tf.relu(v) as tf.Tensor4D;
                        const pooled = tf.sum(tf.mul(tf.maxPool(r, filterSize, strides, pad), dy));
                        return twice ? tf.add(pooled, tf.mul(tf.sum(r), 0.5)) : pooled;
                    };
                    // -0 and 0 are the same gradient; the fold writes 0 where tfjs writes dy · 0.
                    return Array.from(tf.grad(f)(x).dataSync(), (v) => v + 0);
                });
            for (const twice of [false, true]) {
                await tf.setBackend('cpu');
                const reference = grad(twice);
                await useWasm();
                const before = nativeCalls.get(RELU_GRAD) ?? 0;
                const folded = grad(twice);
                expect((nativeCalls.get(RELU_GRAD) ?? 0) - before).toBe(twice ? 1 : 0);
                // Exact where windows tile the input; overlapping windows sum in another order.
                const worst = Math.max(...folded.map((v, i) => Math.abs(v - reference[i]!)));
                expect(worst).toBeLessThanOrEqual(pad === 'valid' ? 0 : 1e-6);
                expect(folded.some((v) => v !== 0)).toBe(true);
            }
        }
    });

    it('GraftAdamUpdate natively gives the bits of the float32 formulation (wasm-kernels/adam-update.ts)', () => {
        const shapes = [[3, 3, 4, 5], [5], [40, 7]];
        const total = shapes.reduce((n, s) => n + tf.util.sizeFromShape(s), 0);
        const m = spec([total], 111).values.map((x) => x * 0.1);
        const v = spec([total], 112).values.map((x) => Math.abs(x) * 0.01);
        const gs = shapes.map((s, i) => spec(s, 113 + i).values);
        const xs = shapes.map((s, i) => spec(s, 120 + i).values);
        const attrs = { count: shapes.length, lr: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3 };
        const before = nativeCalls.get('GraftAdamUpdate') ?? 0;
        const outs = tf.tidy(() => {
            const inputs: Record<string, tf.Tensor> = { m: tf.tensor1d(m), v: tf.tensor1d(v) };
            shapes.forEach((s, i) => {
                inputs[`g${i}`] = tf.tensor(gs[i]!, s);
                inputs[`x${i}`] = tf.tensor(xs[i]!, s);
            });
            return (tf.engine().runKernel('GraftAdamUpdate', inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array);
        });
        expect((nativeCalls.get('GraftAdamUpdate') ?? 0) - before).toBe(1);
        // The reference: the JavaScript kernel's arithmetic, every operation rounded to float32.
        const f = Math.fround;
        const [b1, b2, ob1, ob2, c2, eps, step] = [f(0.9), f(0.999), f(1 - 0.9), f(1 - 0.999), f(attrs.c2), f(1e-7), f(attrs.lr / attrs.c1)];
        let j = 0;
        shapes.forEach((_s, k) => {
            gs[k]!.forEach((g, i) => {
                const mj = f(f(m[j]! * b1) + f(g * ob1));
                const vj = f(f(v[j]! * b2) + f(f(g * g) * ob2));
                expect(outs[0]![j]).toBe(mj);
                expect(outs[1]![j]).toBe(vj);
                expect(outs[2 + k]![i]).toBe(f(xs[k]![i]! - f(f(mj / f(f(Math.sqrt(f(vj / c2))) + eps)) * step)));
                j++;
            });
        });
    });

    it('signals arriving inside native kernels (V8 profiler, SIGPROF) corrupt nothing', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-native-signals-'));
        const script = fileURLToPath(new URL('../fixtures/native-under-signals.mts', import.meta.url));
        const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
        rmSync(dir, { recursive: true, force: true });
        expect(run.stderr).not.toMatch(/corrupt|double free/);
        expect(run.status).toBe(0);
        expect(run.stdout.trim()).toBe('done true');
    }, 130_000);

    it('no native kernel failed and fell back during the suite', () => {
        expect([...nativeFallbacks.entries()]).toEqual([]);
    });
});

describe.skipIf(load.ok)('native kernels (not built)', () => {
    it(`skips: ${skipReason || 'built'}`, () => {
        expect(skipReason).toMatch(/native|GRAFT_NATIVE/);
    });
});
