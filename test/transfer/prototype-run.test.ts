// `head prototypes` end to end on the shipped clothing images (8×8, grayscale, to stay fast) with a
// small_cnn backbone from a fixed seed: features → prototypes from the shots → test metrics and
// episodes with their confidence interval.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type Dataset } from '../../src/runtime/data/index.js';
import type { DatasetPlan, ExperimentPlan } from '../../src/core/plan/types.js';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import { runPrototypes } from '../../src/runtime/transfer/prototype-run.js';
import { at, tinyPlan } from '../train/helpers.js';

const DATA = join(import.meta.dirname, '../../examples/data');

const fashion: DatasetPlan = {
    name: 'fashion', at, source: { kind: 'folder', dir: join(DATA, 'fashion5') }, task: 'single_label',
    image: { height: 8, width: 8, channels: 1 }, normalize: 'unit', split: { train: 0.5, test: 0.5 }, stratified: true, shots: 2, augment: {}, balance: 'none'
};

const description = describeZoo('small_cnn', { filters: [8, 16], inputShape: [8, 8, 1] });

function plan(partial: Partial<ExperimentPlan> = {}): ExperimentPlan {
    return {
        ...tinyPlan(),
        experiment: 'fashion_prototypes',
        data: fashion,
        backbone: { kind: 'zoo', arch: 'small_cnn', filters: [8, 16], weights: { kind: 'none' }, at, description },
        head: { kind: 'prototypes', distance: 'cosine', at: { ...at, line: 4 } },
        stages: [],
        metrics: [{ kind: 'accuracy' }, { kind: 'confusion' }],
        evaluate: [{ kind: 'test' }, { kind: 'episodes', episodes: 30, way: 5, shot: 1, query: 5 }],
        seed: 3,
        ...partial
    };
}

let ds: Dataset;
let backbone: tf.LayersModel;
beforeAll(async () => {
    await tf.setBackend('cpu');
    ds = await loadDataset(fashion, { seed: 3, warn: () => undefined });
    backbone = buildBackbone(description, { seed: 5 });
});
afterAll(async () => {
    backbone?.dispose();
    await ds?.close();
});

describe('runPrototypes', () => {
    it('builds prototypes from the shots and reports test metrics and episodes with a 95% CI', async () => {
        const out = await runPrototypes(plan(), backbone, { warn: () => undefined, dataset: ds });
        expect(out.classes).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        expect(out.shots).toEqual([2, 2, 2, 2, 2]);
        expect(out.featureDim).toBe(16);
        const test = out.metrics.test;
        expect(test.confusion).toHaveLength(5);
        const confusion = test.confusion as number[][];
        expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(ds.size('test'));
        // accuracy is the confusion matrix's diagonal share
        expect(test.accuracy).toBeCloseTo(confusion.reduce((s, r, i) => s + r[i], 0) / ds.size('test'), 10);
        const [e] = out.episodes;
        expect(e).toMatchObject({ episodes: 30, way: 5, shot: 1, query: 5, distance: 'cosine', seed: 3 });
        expect(e.accuracies).toHaveLength(30);
        expect(e.ci95).toBeCloseTo((1.96 * e.std) / Math.sqrt(30), 12);
        expect(out.metrics.episodes).toEqual({ accuracy: e.accuracy, ci95: e.ci95, std: e.std, episodes: 30 });
        // Even random convolutional features separate these clothing classes better than chance (0.2).
        expect(e.accuracy).toBeGreaterThan(0.3);
    });

    it('is repeatable with the same seed, and euclidean is a different rule', async () => {
        const a = await runPrototypes(plan(), backbone, { warn: () => undefined, dataset: ds });
        const b = await runPrototypes(plan(), backbone, { warn: () => undefined, dataset: ds });
        expect(b.episodes[0].accuracies).toEqual(a.episodes[0].accuracies);
        const euclid = await runPrototypes(plan({ head: { kind: 'prototypes', distance: 'euclidean', at } }), backbone, { warn: () => undefined, dataset: ds });
        expect(euclid.episodes[0].distance).toBe('euclidean');
    });

    it('names the head line when episodes ask for more images than a class has', async () => {
        // 250 test images, 50 per class: 40 shots + 20 queries is too many.
        const p = plan({ evaluate: [{ kind: 'episodes', episodes: 2, way: 5, shot: 40, query: 20 }] });
        await expect(runPrototypes(p, backbone, { warn: () => undefined, dataset: ds })).rejects.toMatchObject({ at: { line: 4 }, message: expect.stringMatching(/need 5 classes with at least 60 images each/) });
    });
});
