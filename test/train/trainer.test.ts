// The training loop on synthetic, learnable data with a real (tiny) zoo network.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentPlan } from '../../src/core/plan/types.js';
import { assembleModel } from '../../src/runtime/train/model.js';
import { trainPhase, type StageResult, type TrainHooks } from '../../src/runtime/train/trainer.js';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { stage, syntheticData, tinyPlan } from './helpers.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

function hooks(record: { logs: string[]; best: number[] } = { logs: [], best: [] }): TrainHooks {
    return {
        stageStart: () => undefined,
        epoch: () => undefined,
        saveBest: async (b) => {
            record.best.push(b.epoch);
            return undefined;
        },
        loadBest: async () => false,
        saveState: async () => undefined,
        log: (_l, m) => record.logs.push(m),
        cancelled: () => false
    };
}

async function train(
    plan: ExperimentPlan,
    scratch = false,
    record?: { logs: string[]; best: number[] },
    perClass = 8,
    cacheFeatures = true
): Promise<{ results: StageResult[]; weights: number[]; conv: number[][] }> {
    const description = plan.backbone.description!;
    const m = assembleModel(buildBackbone(description, { seed: plan.seed }), plan, () => 3, description);
    const conv: number[][] = [];
    const h = hooks(record);
    // Snapshot a frozen-then-unfrozen layer at each stage start.
    h.stageStart = () => {
        conv.push(Array.from(m.backbone.getLayer('block2_conv').getWeights()[0].dataSync()));
    };
    const results = await trainPhase({ m, plan, data: syntheticData(perClass), phase: 'main', scratch, hooks: h, cacheFeatures });
    conv.push(Array.from(m.backbone.getLayer('block2_conv').getWeights()[0].dataSync()));
    const weights = Array.from(m.model.getLayer('main_logits').getWeights()[0].dataSync());
    m.model.dispose();
    return { results, weights, conv };
}

describe('trainPhase', () => {
    it('the same seed gives identical metrics and weights twice', async () => {
        const plan = tinyPlan({ stages: [stage({ epochs: 2 })] });
        const a = await train(plan);
        const b = await train(plan);
        expect(a.results[0].history.map((h) => h.metrics)).toEqual(b.results[0].history.map((h) => h.metrics));
        expect(a.weights).toEqual(b.weights);
        const c = await train({ ...plan, seed: plan.seed + 1 });
        expect(c.weights).not.toEqual(a.weights);
    });

    it('learns, runs stages in order from the previous weights, and records the schedule', async () => {
        const plan = tinyPlan({
            stages: [
                stage({ epochs: 3, freeze: [{ op: 'freeze_all' }], batchnorm: 'trainable', schedule: { kind: 'step', every: 1, factor: 0.5 } }),
                stage({ name: 'fine_tune', epochs: 1, freeze: [{ op: 'unfreeze_last', count: 1, unit: 'blocks' }], optimizer: { kind: 'adam', lr: 1e-3 } })
            ]
        });
        const { results, conv } = await train(plan);
        expect(results.map((r) => r.name)).toEqual(['train', 'fine_tune']);
        // frozen in `train`, trained in `fine_tune`, which starts from where `train` ended
        expect(conv[1]).toEqual(conv[0]);
        expect(conv[2]).not.toEqual(conv[1]);
        expect(results[0].history.map((h) => h.lr)).toEqual([0.01, 0.005, 0.0025]);
        expect(results[0].trainableLayers).toEqual([]);
        expect(results[1].trainableLayers).toEqual(['block2_conv', 'block2_bn']);
        expect(results[1].trainableParams).toBeGreaterThan(results[0].trainableParams);
        expect(results[0].history[0].metrics).toHaveProperty('val_accuracy');
    });

    it('a frozen backbone\'s cached features train the head exactly as the full network does', async () => {
        const plan = tinyPlan({ stages: [stage({ epochs: 2, freeze: [{ op: 'freeze_all' }], batchnorm: 'trainable' })] });
        const record = { logs: [] as string[], best: [] as number[] };
        const cached = await train(plan, false, record);
        expect(record.logs.some((l) => l.includes('computed once'))).toBe(true);
        const full = await train(plan, false, undefined, 8, false);
        cached.results[0].history.forEach((h, i) => {
            for (const [k, v] of Object.entries(h.metrics)) expect(v).toBeCloseTo(full.results[0].history[i].metrics[k]!, 5);
        });
        cached.weights.forEach((w, i) => expect(w).toBeCloseTo(full.weights[i], 5));
    });

    it('fine-tuning: the frozen layers\' output, cached once, trains the rest exactly as the full network does', async () => {
        const plan = tinyPlan({
            stages: [
                stage({ epochs: 1, freeze: [{ op: 'freeze_all' }] }),
                stage({ name: 'fine_tune', epochs: 2, freeze: [{ op: 'unfreeze_last', count: 1, unit: 'blocks' }], optimizer: { kind: 'adam', lr: 1e-3 } })
            ]
        });
        const record = { logs: [] as string[], best: [] as number[] };
        const cached = await train(plan, false, record);
        expect(record.logs.some((l) => /stage fine_tune: the layers up to \S+ are frozen; their output for train and val is computed once/.test(l))).toBe(true);
        const full = await train(plan, false, undefined, 8, false);
        expect(cached.results[1].trainableLayers).toEqual(['block2_conv', 'block2_bn']);
        cached.results.forEach((r, s) =>
            r.history.forEach((h, i) => {
                for (const [k, v] of Object.entries(h.metrics)) expect(v).toBeCloseTo(full.results[s].history[i].metrics[k]!, 5);
            })
        );
        cached.weights.forEach((w, i) => expect(w).toBeCloseTo(full.weights[i], 5));
        // block2_conv trained in fine_tune, the same way on both paths
        cached.conv[2].forEach((w, i) => expect(w).toBeCloseTo(full.conv[2][i], 5));
        expect(cached.conv[2]).not.toEqual(cached.conv[1]);
    });

    it('resuming with an unusable optimizer state warns and trains on with fresh moments', async () => {
        const plan = tinyPlan({ stages: [stage({ epochs: 2 })] });
        const description = plan.backbone.description!;
        const m = assembleModel(buildBackbone(description, { seed: plan.seed }), plan, () => 3, description);
        const record = { logs: [] as string[], best: [] as number[] };
        const h = hooks(record);
        h.loadOptimizer = () => {
            throw new Error('checkpoint /runs/x/checkpoint/last-main: optimizer.bin is shorter than optimizer.json says');
        };
        const results = await trainPhase({
            m, plan, data: syntheticData(8), phase: 'main', scratch: false, hooks: h,
            resume: { phase: 'main', stageIndex: 0, epochsDone: 1, waited: 0, done: [] }
        });
        expect(results[0].history.map((e) => e.epoch)).toEqual([2]);
        expect(record.logs.some((l) => /resuming after epoch 1, but the saved optimizer state is unusable: checkpoint .*optimizer\.bin is shorter.*; adam restarts its moments/.test(l))).toBe(true);
        // A snapshot of other weights is refused the same way.
        h.loadOptimizer = () => ({ kind: 'adam', head: { signature: '3x3', step: 4, tensors: [{ name: 'm', shape: [9], values: new Float32Array(9) }, { name: 'v', shape: [9], values: new Float32Array(9) }] } });
        record.logs.length = 0;
        await trainPhase({ m, plan, data: syntheticData(8), phase: 'main', scratch: false, hooks: h, resume: { phase: 'main', stageIndex: 0, epochsDone: 1, waited: 0, done: [] } });
        expect(record.logs.some((l) => /moments for other weights/.test(l))).toBe(true);
        m.model.dispose();
    });

    it('learns the synthetic task when everything trains', async () => {
        const plan = tinyPlan({ stages: [stage({ epochs: 5 })] });
        const { results } = await train(plan, true, undefined, 16);
        const losses = results[0].history.map((h) => h.metrics.loss);
        expect(losses[4]).toBeLessThan(losses[0]! * 0.8);
    });

    it('early stopping ends a stage after `patience` epochs without improvement and restores the best', async () => {
        // min_delta 10 can never be met: the stage stops after 1 + patience epochs
        const plan = tinyPlan({ stages: [stage({ epochs: 6, earlyStop: { monitor: 'val_loss', patience: 2, minDelta: 10 } })] });
        const record = { logs: [] as string[], best: [] as number[] };
        const { results } = await train(plan, false, record);
        expect(results[0].epochsRun).toBe(3);
        expect(results[0].stoppedEarly).toBe(true);
        expect(record.logs.some((l) => l.includes('early stop'))).toBe(true);
        expect(results[0].bestEpoch).toBe(record.best[record.best.length - 1]);
        expect(results[0].monitor).toBe('val_loss');
    });

    it('a NaN loss names the stage\'s spec line', async () => {
        const where = { file: '/spec/nan.graft', line: 9, column: 3 };
        const plan = tinyPlan({ stages: [stage({ at: where, epochs: 1, optimizer: { kind: 'sgd', lr: 1e30, momentum: 0, nesterov: false } })] });
        await expect(train(plan)).rejects.toMatchObject({ at: where, message: expect.stringMatching(/loss became/) });
    });
});
