// The adaptation hook on real data: unlabelled batches of the shipped shifted clothing images
// (8×8 to stay fast) beside synthetic source images, through a tiny small_cnn.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type Dataset } from '../../src/runtime/data/index.js';
import type { DatasetPlan, ExperimentPlan } from '../../src/core/plan/types.js';
import { assembleModel, paramGroups, type AssembledModel } from '../../src/runtime/train/model.js';
import { GroupOptimizer } from '../../src/runtime/train/optimizers.js';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import { Adaptation } from '../../src/runtime/transfer/adapt-step.js';
import { at, tinyPlan } from '../train/helpers.js';

const DATA = join(import.meta.dirname, '../../examples/data');

const shifted: DatasetPlan = {
    name: 'shifted', at, source: { kind: 'folder', dir: join(DATA, 'fashion5-shifted') }, task: 'single_label',
    image: { height: 8, width: 8, channels: 3 }, normalize: 'unit', split: { train: 0.5, test: 0.5 }, stratified: true, augment: {}, balance: 'none'
};

function plan(method: 'coral' | 'mmd' | 'dann'): ExperimentPlan {
    const description = describeZoo('small_cnn', { filters: [4, 8], inputShape: [8, 8, 3] });
    const base = tinyPlan();
    return {
        ...base,
        data: { ...base.data, image: { height: 8, width: 8, channels: 3 } },
        backbone: { kind: 'zoo', arch: 'small_cnn', filters: [4, 8], weights: { kind: 'none' }, at, description },
        adapt: { target: shifted, method, weight: 1, at: { ...at, line: 9 } }
    };
}

function model(p: ExperimentPlan): AssembledModel {
    const b = p.backbone;
    if (b.kind !== 'zoo' || !b.description) throw new Error('zoo backbone expected');
    return assembleModel(buildBackbone(b.description, { seed: 3 }), p, () => 3, b.description);
}

/** Synthetic source images: dim, grey, noise-free — a different domain from the bright, noisy target. */
function sourceBatch(n: number, seed: number): tf.Tensor4D {
    return tf.mul(tf.randomUniform([n, 8, 8, 3], 0, 1, 'float32', seed), 0.3) as tf.Tensor4D;
}

let target: Dataset;
beforeAll(async () => {
    await tf.setBackend('cpu');
    target = await loadDataset(shifted, { seed: 1, warn: () => undefined });
});
afterAll(async () => {
    await target?.close();
});

describe('Adaptation', () => {
    it('cycles through the target train split in full batches, reshuffled each pass', async () => {
        const p = plan('coral');
        const m = model(p);
        const a = await Adaptation.create(p, m, { trainSize: 64, target });
        expect(target.adaptationSplit()).toBe('train');
        const size = target.size('train'); // 150 images → 2 batches of 64 per pass
        const shapes: number[][] = [];
        for (let i = 0; i < 5; i++) {
            const x = await a.nextTarget(64);
            shapes.push(x.shape);
            x.dispose();
        }
        expect(size).toBe(150);
        expect(shapes.every((s) => s.join() === '64,8,8,3')).toBe(true);
        await a.close();
        m.model.dispose();
    });

    it('CORAL training on the adaptation term alone brings the domains\' feature statistics together', async () => {
        const p = plan('coral');
        const m = model(p);
        const a = await Adaptation.create(p, m, { trainSize: 32, target });
        const groups = paramGroups(m);
        const opt = new GroupOptimizer({ kind: 'adam', lr: 1e-2 }, undefined);
        const values: number[] = [];
        for (let step = 0; step < 8; step++) {
            const tx = await a.nextTarget(16);
            const sx = sourceBatch(16, step);
            const v = opt.step(groups, () => a.forward(sx, tx).loss);
            values.push(v.dataSync()[0]);
            tf.dispose([v, tx, sx]);
        }
        const metrics = a.takeEpochMetrics();
        expect(metrics.adapt_loss).toBeCloseTo(values.reduce((x, y) => x + y, 0) / values.length, 5);
        expect(values[0]).toBeGreaterThan(0);
        const early = (values[0] + values[1] + values[2]) / 3;
        const late = (values[5] + values[6] + values[7]) / 3;
        expect(late).toBeLessThan(early * 0.7);
        opt.dispose();
        await a.close();
        m.model.dispose();
    });

    it('forward returns the heads\' logits of the source rows of one joint batch', async () => {
        const p = plan('mmd');
        // No dropout, so that two forward passes in training mode agree.
        if (p.head.kind === 'output') p.head.heads[0].layers = p.head.heads[0].layers.filter((l) => l.kind !== 'dropout');
        const m = model(p);
        const a = await Adaptation.create(p, m, { trainSize: 8, target });
        const sx = sourceBatch(4, 1);
        const tx = await a.nextTarget(4);
        const out = a.forward(sx, tx);
        // One batch of both domains (shared BatchNorm statistics); the logits are the source rows.
        const direct = tf.slice(m.model.apply(tf.concat([sx, tx], 0), { training: true }) as tf.Tensor, [0, 0], [4, -1]);
        expect(out.logits).toHaveLength(1);
        expect(out.logits[0].shape).toEqual([4, 3]);
        Array.from(out.logits[0].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(direct.dataSync()[i], 5));
        expect(out.loss.dataSync()[0]).toBeGreaterThan(0);
        tf.dispose([sx, tx, direct, out.loss, ...out.logits]);
        await a.close();
        m.model.dispose();
    });

    it('DANN trains a domain classifier with the head group and ramps λ from 0', async () => {
        const p = plan('dann');
        const m = model(p);
        const a = await Adaptation.create(p, m, { trainSize: 16, target });
        expect(a.variables).toHaveLength(4);
        expect(a.lambda).toBe(0);
        const groups = paramGroups(m);
        groups.head.push(...a.variables);
        const before = Array.from(a.variables[2].dataSync());
        const opt = new GroupOptimizer({ kind: 'adam', lr: 1e-2 }, undefined);
        const tx = await a.nextTarget(16);
        const sx = sourceBatch(16, 2);
        tf.dispose(opt.step(groups, () => a.forward(sx, tx).loss));
        expect(Array.from(a.variables[2].dataSync())).not.toEqual(before);
        // 2 epochs × 1 step (trainSize 16, batch 8 → 2 steps per epoch … tinyPlan: 2 epochs of batch 8 = 4 steps)
        expect(a.lambda).toBeCloseTo(2 / (1 + Math.exp(-10 * (1 / 4))) - 1, 10);
        tf.dispose([tx, sx]);
        opt.dispose();
        await a.close();
        m.model.dispose();
    });

    it('joins each source batch with a target batch for BatchNorm recalibration', async () => {
        const p = plan('coral');
        const m = model(p);
        const a = await Adaptation.create(p, m, { trainSize: 8, target });
        async function* source(): AsyncGenerator<{ x: tf.Tensor4D; labels: tf.Tensor2D[] }> {
            for (let i = 0; i < 2; i++) yield { x: sourceBatch(6, i), labels: [tf.zeros([6, 3]) as tf.Tensor2D] };
        }
        const sizes: number[] = [];
        for await (const b of a.withTargetBatches(source(), 6)) {
            sizes.push(b.x.shape[0]);
            expect(b.labels).toEqual([]);
            b.x.dispose();
        }
        expect(sizes).toEqual([12, 12]);
        await a.close();
        m.model.dispose();
    });

    it('names the adapt line when the domains\' images differ in size', async () => {
        const p = plan('coral');
        p.adapt = { ...p.adapt!, target: { ...shifted, image: { height: 28, width: 28, channels: 3 } } };
        const m = model(p);
        await expect(Adaptation.create(p, m, { trainSize: 8, target })).rejects.toMatchObject({ at: { line: 9 }, message: expect.stringMatching(/28 x 28 x 3, the training data's 8 x 8 x 3/) });
        m.model.dispose();
    });
});
