// The closed-form dense head step (src/runtime/train/dense-head-step.ts) against autodiff: the
// same stage trained with GRAFT_DENSE_HEAD=0 (the tape) and without (the step) gives the same
// metrics and weights, for the head shapes, losses and optimizer options it covers; on the cpu
// backend (its tfjs-ops path) and on wasm with the native kernels when they are built. Heads it
// does not cover say why and train through autodiff.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExperimentPlan, HeadLayerPlan, OutputHeadPlan } from '../../src/core/plan/types.js';
import { loadNativeAddon } from '../../src/runtime/backend/native-kernels/addon.js';
import { DENSE_FORWARD, DENSE_GRAD, DENSE_SOFTMAX } from '../../src/runtime/backend/native-kernels/dense.js';
import { nativeCalls, nativeFallbacks } from '../../src/runtime/backend/native-kernels/register.js';
import { selectBackend } from '../../src/runtime/backend/select.js';
import { DenseHeadStep, denseBackward, denseBackwardOps, denseHeadSteps } from '../../src/runtime/train/dense-head-step.js';
import { crossentropyAndGradient } from '../../src/runtime/train/fused-loss.js';
import { assembleModel, paramGroups } from '../../src/runtime/train/model.js';
import { GroupOptimizer } from '../../src/runtime/train/optimizers.js';
import { trainPhase, type StageResult, type TrainHooks } from '../../src/runtime/train/trainer.js';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { randomValues } from '../backend/compare.js';
import { at, stage, syntheticData, tinyPlan } from './helpers.js';

const native = loadNativeAddon();
if (!native.ok) console.warn(`test/train/dense-head-step.test.ts: the wasm + native kernel cases are skipped: ${native.reason}`);

const hooks = (): TrainHooks => ({
    stageStart: () => undefined,
    epoch: () => undefined,
    saveBest: async () => undefined,
    loadBest: async () => false,
    saveState: async () => undefined,
    log: () => undefined,
    cancelled: () => false
});

function headPlan(layers: HeadLayerPlan[], smoothing = 0): OutputHeadPlan {
    return { name: 'main', at, layers, activation: 'softmax', weight: 1, loss: { kind: 'crossentropy', smoothing } };
}

/** Trains `plan` (a frozen small_cnn, so the features are cached) and returns the history, every head weight and the steps the closed form took. */
async function train(plan: ExperimentPlan, closedForm: boolean): Promise<{ history: StageResult['history']; weights: number[][]; steps: number }> {
    if (closedForm) delete process.env['GRAFT_DENSE_HEAD'];
    else process.env['GRAFT_DENSE_HEAD'] = '0';
    const description = plan.backbone.description!;
    const m = assembleModel(buildBackbone(description, { seed: plan.seed }), plan, () => 3, description);
    const data = syntheticData(8);
    // Unequal class counts: class weights that are not all 1.
    data.classCounts = [[8, 4, 12]];
    const before = denseHeadSteps;
    try {
        const results = await trainPhase({ m, plan, data, phase: 'main', scratch: false, hooks: hooks() });
        const weights = m.heads[0]!.layers.flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
        return { history: results[0]!.history, weights, steps: denseHeadSteps - before };
    } finally {
        m.model.dispose();
        delete process.env['GRAFT_DENSE_HEAD'];
    }
}

const frozen = (partial: Parameters<typeof stage>[0] = {}) => stage({ epochs: 3, freeze: [{ op: 'freeze_all' }], ...partial });

const cases: [string, ExperimentPlan][] = [
    ['a linear probe (pool average, Adam)', tinyPlan({ head: { kind: 'output', heads: [headPlan([{ kind: 'pool', mode: 'average' }])] }, stages: [frozen()] })],
    [
        'flatten, dense relu, dropout; smoothing, class weights, clip_norm',
        tinyPlan({
            data: { ...tinyPlan().data, balance: 'class_weights' },
            head: { kind: 'output', heads: [headPlan([{ kind: 'pool', mode: 'flatten' }, { kind: 'dense', units: 12, activation: 'relu' }, { kind: 'dropout', rate: 0.3 }], 0.1)] },
            stages: [frozen({ clipNorm: 0.05 })]
        })
    ],
    [
        'dropout first, two hidden layers (tanh, linear); AdamW with a step schedule',
        tinyPlan({
            head: {
                kind: 'output',
                heads: [headPlan([{ kind: 'pool', mode: 'max' }, { kind: 'dropout', rate: 0.2 }, { kind: 'dense', units: 10, activation: 'tanh' }, { kind: 'dropout', rate: 0.25 }, { kind: 'dense', units: 6, activation: 'linear' }])]
            },
            stages: [frozen({ optimizer: { kind: 'adamw', lr: 1e-2, decay: 0.05 }, schedule: { kind: 'step', every: 1, factor: 0.5 } })]
        })
    ],
    [
        'dense relu; SGD with Nesterov momentum',
        tinyPlan({
            head: { kind: 'output', heads: [headPlan([{ kind: 'pool', mode: 'average' }, { kind: 'dense', units: 8, activation: 'relu' }])] },
            stages: [frozen({ optimizer: { kind: 'sgd', lr: 5e-2, momentum: 0.9, nesterov: true } })]
        })
    ]
];

describe.each([
    ['cpu', true],
    ['wasm + native', native.ok]
] as const)('the closed-form dense head step on %s', (backend, available) => {
    afterEach(() => delete process.env['GRAFT_DENSE_HEAD']);

    it.skipIf(!available).each(cases)('trains %s as autodiff does', async (_name, plan) => {
        if (backend === 'cpu') await tf.setBackend('cpu');
        else await selectBackend('wasm', { threads: 1 });
        const calls = nativeCalls.get(DENSE_SOFTMAX) ?? 0;
        const tape = await train(plan, false);
        const closed = await train(plan, true);
        expect(tape.steps).toBe(0);
        // 24 training images in batches of 8, three epochs.
        expect(closed.steps).toBe(9);
        if (backend !== 'cpu') {
            // The logits layer and the loss: one native kernel per step.
            expect((nativeCalls.get(DENSE_SOFTMAX) ?? 0) - calls).toBe(9);
            expect(nativeFallbacks.size).toBe(0);
        }
        expect(closed.history.length).toBe(tape.history.length);
        closed.history.forEach((h, i) => {
            expect(Object.keys(h.metrics).sort()).toEqual(Object.keys(tape.history[i]!.metrics).sort());
            for (const [k, v] of Object.entries(h.metrics)) expect(v).toBeCloseTo(tape.history[i]!.metrics[k]!, 4);
            expect(h.lr).toBe(tape.history[i]!.lr);
        });
        expect(closed.weights.length).toBe(tape.weights.length);
        closed.weights.forEach((w, i) => w.forEach((x, j) => expect(x).toBeCloseTo(tape.weights[i]![j]!, 4)));
        // The weights moved: the comparison is not between two untrained heads.
        const initial = (() => {
            const description = plan.backbone.description!;
            const m = assembleModel(buildBackbone(description, { seed: plan.seed }), plan, () => 3, description);
            const w = m.heads[0]!.layers.flatMap((l) => l.getWeights().map((t) => Array.from(t.dataSync())));
            m.model.dispose();
            return w;
        })();
        expect(closed.weights.at(-2)).not.toEqual(initial.at(-2));
    });
});

describe('which heads the closed-form step covers', () => {
    const reasonFor = (layers: HeadLayerPlan[], head: Partial<OutputHeadPlan> = {}, partial: Partial<ExperimentPlan> = {}): string | undefined => {
        const plan = tinyPlan({ head: { kind: 'output', heads: [{ ...headPlan(layers), ...head }] }, ...partial });
        const description = plan.backbone.description!;
        const m = assembleModel(buildBackbone(description, { seed: plan.seed }), plan, () => 3, description);
        try {
            for (const l of m.backboneLayers) l.trainable = false;
            const step = DenseHeadStep.of(m.heads.map((h) => h.layers), plan.head.kind === 'output' ? plan.head.heads : [], paramGroups(m));
            return step instanceof DenseHeadStep ? undefined : step.reason;
        } finally {
            m.model.dispose();
        }
    };

    it('covers pool/dense/dropout heads with crossentropy, and says why not for the rest', async () => {
        await tf.setBackend('cpu');
        expect(reasonFor([{ kind: 'pool', mode: 'flatten' }, { kind: 'dense', units: 4, activation: 'relu' }, { kind: 'dropout', rate: 0.5 }])).toBeUndefined();
        expect(reasonFor([{ kind: 'pool', mode: 'average' }, { kind: 'dense', units: 4, activation: 'gelu' }])).toBe("a dense layer's activation is gelu");
        expect(reasonFor([{ kind: 'pool', mode: 'average' }, { kind: 'batchnorm' }])).toBe('the head has a BatchNormalization layer before its first dense layer');
        expect(reasonFor([{ kind: 'pool', mode: 'average' }, { kind: 'dense', units: 4, activation: 'relu' }, { kind: 'batchnorm' }])).toBe('the head has a BatchNormalization layer');
        expect(reasonFor([{ kind: 'pool', mode: 'average' }], { loss: { kind: 'focal', gamma: 2 } })).toBe('the loss is focal over softmax');
        expect(reasonFor([{ kind: 'pool', mode: 'average' }], { activation: 'sigmoid', loss: { kind: 'binary_crossentropy' } })).toBe('the loss is binary_crossentropy over sigmoid');
        process.env['GRAFT_DENSE_HEAD'] = '0';
        expect(reasonFor([{ kind: 'pool', mode: 'average' }])).toBe('turned off by GRAFT_DENSE_HEAD=0');
        delete process.env['GRAFT_DENSE_HEAD'];
    });

    it('steps aside when backbone layers train too', async () => {
        await tf.setBackend('cpu');
        const plan = tinyPlan({ head: { kind: 'output', heads: [headPlan([{ kind: 'pool', mode: 'average' }])] } });
        const description = plan.backbone.description!;
        const m = assembleModel(buildBackbone(description, { seed: plan.seed }), plan, () => 3, description);
        const step = DenseHeadStep.of(m.heads.map((h) => h.layers), plan.head.kind === 'output' ? plan.head.heads : [], paramGroups(m));
        expect(step).toEqual({ reason: 'backbone layers train too' });
        m.model.dispose();
    });
});

describe('a batch that does not fit the head', () => {
    it.each(['cpu', 'wasm'])('labels with another class count get an error naming both shapes (%s)', async (backend) => {
        if (backend === 'cpu') await tf.setBackend('cpu');
        else await selectBackend('wasm', { threads: 1 });
        const input = tf.input({ shape: [6] });
        const dense = tf.layers.dense({ units: 4 });
        const model = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
        const groups = { head: dense.trainableWeights.map((w) => w.read() as tf.Variable), backbone: [] };
        const step = DenseHeadStep.of([[dense]], [headPlan([])], groups) as DenseHeadStep;
        const optimizer = new GroupOptimizer({ kind: 'adam', lr: 1e-3 }, undefined);
        const x = tf.ones([3, 6]) as tf.Tensor2D;
        const labels = tf.ones([3, 5]) as tf.Tensor2D;
        const before = dense.getWeights().map((w) => Array.from(w.dataSync()));
        expect(() => step.run(x, labels, undefined, optimizer, groups)).toThrow('crossentropy: labels [3,5] do not match logits [3,4] (one label column per output class)');
        // Nothing was applied.
        expect(dense.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
        tf.dispose([x, labels]);
        optimizer.dispose();
        model.dispose();
    });
});

describe.skipIf(!native.ok)('GraftDense and GraftDenseGrad (native) match the tfjs ops on the cpu backend', () => {
    const tensors = (shapes: Record<string, number[]>, seed: number) => {
        const out: Record<string, tf.Tensor> = {};
        let k = seed;
        for (const [name, shape] of Object.entries(shapes)) out[name] = tf.tensor(randomValues(shape, k++), shape);
        return out;
    };
    const maxDiff = (a: Float32Array | undefined, b: Float32Array | undefined) => {
        expect(a?.length).toBe(b?.length);
        return a!.reduce((m, v, i) => Math.max(m, Math.abs(v - b![i]!)), 0);
    };

    it.each([
        ['no layer below', undefined, false],
        ['relu below', 'relu', false],
        ['tanh below, with a dropout multiplier', 'tanh', true],
        ['linear below, with a dropout multiplier', 'linear', true]
    ] as const)('the gradients with %s', async (_name, below, dropout) => {
        const run = (backend: string) =>
            tf.tidy(() => {
                const t = tensors({ x: [7, 13], dz: [7, 5], w: [13, 5], a: [7, 13], u: [7, 13] }, 31);
                const w = tf.variable(t['w']!);
                // A multiplier like dropout's: 0 or 1/keep.
                const mult = dropout ? tf.div(tf.floor(tf.add(tf.abs(t['u']!), 0.6)), 0.6) : undefined;
                const a = below === 'relu' ? tf.relu(t['a']!) : below === 'tanh' ? tf.tanh(t['a']!) : t['a']!;
                const b = below ? { activation: below, out: a as tf.Tensor2D, mult: mult as tf.Tensor2D | undefined } : undefined;
                const g = backend === 'cpu' ? denseBackwardOps(t['x'] as tf.Tensor2D, t['dz'] as tf.Tensor2D, w, b) : denseBackward(t['x'] as tf.Tensor2D, t['dz'] as tf.Tensor2D, w, b);
                const out = [g.dw, g.db, g.dx].map((v) => (v ? (v.dataSync() as Float32Array).slice() : undefined));
                w.dispose();
                return out;
            });
        await tf.setBackend('cpu');
        const ref = run('cpu');
        await selectBackend('wasm', { threads: 1 });
        const before = nativeCalls.get(DENSE_GRAD) ?? 0;
        const got = run('wasm');
        expect((nativeCalls.get(DENSE_GRAD) ?? 0) - before).toBe(1);
        for (let i = 0; i < 3; i++) {
            if (ref[i] === undefined) expect(got[i]).toBeUndefined();
            else expect(maxDiff(got[i], ref[i])).toBeLessThan(1e-5);
        }
    });

    it.each(['linear', 'relu'])('the forward with %s', async (activation) => {
        const run = (backend: string) =>
            tf.tidy(() => {
                const t = tensors({ x: [9, 17], w: [17, 6], b: [6] }, 41);
                const y =
                    backend === 'cpu'
                        ? tf.fused.matMul({ a: t['x'] as tf.Tensor2D, b: t['w'] as tf.Tensor2D, bias: t['b'], activation: activation as 'relu' })
                        : (tf.engine().runKernel(DENSE_FORWARD, { x: t['x']!, w: t['w']!, b: t['b']! }, { activation }) as tf.Tensor);
                return (y.dataSync() as Float32Array).slice();
            });
        await tf.setBackend('cpu');
        const ref = run('cpu');
        await selectBackend('wasm', { threads: 1 });
        const before = nativeCalls.get(DENSE_FORWARD) ?? 0;
        expect(maxDiff(run('wasm'), ref)).toBeLessThan(1e-5);
        expect((nativeCalls.get(DENSE_FORWARD) ?? 0) - before).toBe(1);
    });

    it.each([
        ['a linear probe', undefined, false, false, 0],
        ['relu below, class weights, smoothing', 'relu', false, true, 0.1],
        ['tanh below with dropout', 'tanh', true, false, 0.2]
    ] as const)('the logits layer with the loss (GraftDenseSoftmax): %s', async (_name, below, dropout, weighted, smoothing) => {
        const run = (backend: string) =>
            tf.tidy(() => {
                const t = tensors({ x: [6, 11], w: [11, 4], b: [4], a: [6, 11], u: [6, 11], sw: [6] }, 51);
                const labels = tf.cast(tf.oneHot(tf.tensor1d([0, 3, 1, 2, 3, 0], 'int32'), 4), 'float32') as tf.Tensor2D;
                const w = tf.variable(t['w']!);
                const weights = weighted ? (tf.add(tf.abs(t['sw']!), 0.5) as tf.Tensor1D) : undefined;
                const mult = dropout ? (tf.div(tf.floor(tf.add(tf.abs(t['u']!), 0.6)), 0.6) as tf.Tensor2D) : undefined;
                const a = (below === 'relu' ? tf.relu(t['a']!) : below === 'tanh' ? tf.tanh(t['a']!) : t['a']!) as tf.Tensor2D;
                const b = below ? { activation: below, out: a, mult } : undefined;
                let out: (tf.Tensor | undefined)[];
                if (backend === 'cpu') {
                    const z = tf.add(tf.matMul(t['x'] as tf.Tensor2D, w as tf.Tensor as tf.Tensor2D), t['b']!) as tf.Tensor2D;
                    const [loss, dz] = crossentropyAndGradient(z, labels, weights, smoothing, true);
                    const g = denseBackwardOps(t['x'] as tf.Tensor2D, dz, w, b);
                    out = [loss, z, g.dw, g.db, g.dx];
                } else {
                    const inputs: tf.NamedTensorMap = { x: t['x']!, w, b: t['b']!, labels };
                    if (weights) inputs['weights'] = weights;
                    if (b) inputs['a'] = a;
                    if (mult) inputs['mult'] = mult;
                    out = tf.engine().runKernel(DENSE_SOFTMAX, inputs, { below: below === 'relu' ? 1 : below === 'tanh' ? 2 : 0, needDx: b !== undefined, smoothing }) as tf.Tensor[];
                }
                const values = out.map((v) => (v ? (v.dataSync() as Float32Array).slice() : undefined));
                w.dispose();
                return values;
            });
        await tf.setBackend('cpu');
        const ref = run('cpu');
        await selectBackend('wasm', { threads: 1 });
        const before = nativeCalls.get(DENSE_SOFTMAX) ?? 0;
        const got = run('wasm');
        expect((nativeCalls.get(DENSE_SOFTMAX) ?? 0) - before).toBe(1);
        expect(got.length).toBe(below ? 5 : 4);
        for (let i = 0; i < 5; i++) {
            if (ref[i] === undefined) expect(got[i]).toBeUndefined();
            else expect(maxDiff(got[i], ref[i])).toBeLessThan(1e-5);
        }
    });
});
