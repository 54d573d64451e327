// Splits, shots and balance: deterministic for a seed, each file in exactly one split, clear
// errors for impossible requests, splits.json written for audits.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, inverseFrequencyWeights, loadDataset, writeSplitsJson } from '../../src/runtime/data/index.js';
import { DATA, plan, readJson, tempDir } from './helpers.js';

const quiet = (seed: number) => ({ seed, warn: () => undefined });
const fractions = { train: 0.6, val: 0.2, test: 0.2 };

describe('splits', () => {
    it('same seed → same splits; another seed → other splits; every file exactly once', async () => {
        const p = plan({ split: fractions, stratified: false });
        const a = (await loadDataset(p, quiet(3))).splitsRecord();
        const b = (await loadDataset(p, quiet(3))).splitsRecord();
        const c = (await loadDataset(p, quiet(4))).splitsRecord();
        expect(b.splits).toEqual(a.splits);
        expect(c.splits.train).not.toEqual(a.splits.train);
        const all = [...a.splits.train!, ...a.splits.val!, ...a.splits.test!];
        expect(all.length).toBe(500);
        expect(new Set(all).size).toBe(500);
        expect(a.counts).toEqual({ train: 300, val: 100, test: 100 });
    });

    it('stratified splits keep class proportions even with awkward fractions', async () => {
        const ds = await loadDataset(plan({ split: { train: 0.7, val: 0.15, test: 0.15 }, stratified: true }), quiet(2));
        expect(ds.classCounts('train')).toEqual([70, 70, 70, 70, 70]);
        for (const s of ['val', 'test'] as const) for (const n of ds.classCounts(s)) expect([15]).toContain(n);
        // 95/5 of 60 images per class: remainders are spread so the totals still match the fractions.
        const shifted = await loadDataset(plan({ source: { kind: 'folder', dir: join(DATA, 'fashion5-shifted') }, split: { train: 0.93, test: 0.07 }, stratified: true }), quiet(2));
        expect(shifted.size('test')).toBe(Math.round(300 * 0.07));
        for (const n of shifted.classCounts('test')) expect(n).toBeGreaterThanOrEqual(4);
    });

    it('an empty split is an error naming the dataset and the spec line', async () => {
        const p = plan({ classes: ['bag', 'sandal'], split: { train: 0.999, test: 0.001 } });
        await expect(loadDataset(p, quiet(1))).rejects.toThrow(DataError);
        await expect(loadDataset(p, quiet(1))).rejects.toThrow(/dataset test_data \(.*test\.graft:7:1\): split test \(0%\) has no images/);
    });

    it('writes splits.json', async () => {
        const tmp = tempDir();
        try {
            const ds = await loadDataset(plan({ split: fractions, stratified: true, shots: 5 }), quiet(9));
            const path = await writeSplitsJson(join(tmp.dir, 'run'), ds);
            const json = readJson(path) as { version: number; datasets: Record<string, { counts: Record<string, number>; unused: string[]; classes: string[] }> };
            expect(json.version).toBe(1);
            const rec = json.datasets.test_data;
            expect(rec.counts).toEqual({ train: 25, val: 100, test: 100 });
            expect(rec.unused.length).toBe(275);
            expect(rec.classes).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        } finally {
            tmp.cleanup();
        }
    });
});

describe('shots', () => {
    it('picks k training images per class, the same ones for the same seed', async () => {
        const p = plan({ split: fractions, stratified: true, shots: 4 });
        const a = await loadDataset(p, quiet(1));
        const b = await loadDataset(p, quiet(1));
        const c = await loadDataset(p, quiet(2));
        expect(a.classCounts('train')).toEqual([4, 4, 4, 4, 4]);
        expect(a.keys('train')).toEqual(b.keys('train'));
        expect(c.keys('train')).not.toEqual(a.keys('train'));
        // val/test are untouched by shots.
        expect(a.size('val')).toBe(100);
    });

    it('a class with fewer images than shots is an error that says what to do', async () => {
        await expect(loadDataset(plan({ split: fractions, stratified: true, shots: 61 }), quiet(1))).rejects.toThrow(
            /class "bag" has 60 training images, fewer than `shots 61 per class`\. Lower shots/
        );
    });
});

describe('balance', () => {
    it('inverse-frequency class weights average to 1 over the samples', () => {
        const counts = [10, 30, 60, 0];
        const w = inverseFrequencyWeights(counts);
        expect(w[3]).toBe(0);
        expect(w[0] / w[2]).toBeCloseTo(6);
        expect(counts.reduce((s, n, c) => s + n * w[c], 0)).toBeCloseTo(100);
    });

    it('class_weights on an imbalanced dataset, per-sample weights in batches', async () => {
        const tmp = tempDir();
        try {
            const { writeFileSync } = await import('node:fs');
            const csv = join(tmp.dir, 'labels.csv');
            // 20 "bag" scenes, 5 "sandal" scenes.
            const rows = ['file,label'];
            for (let i = 0; i < 25; i++) rows.push(`scene_${i}.png,${i < 20 ? 'bag' : 'sandal'}`);
            writeFileSync(csv, rows.join('\n'));
            const ds = await loadDataset(plan({ source: { kind: 'csv', file: csv, images: join(DATA, 'scenes/images') }, balance: 'class_weights' }), quiet(1));
            expect(ds.classWeights![0]).toBeCloseTo(25 / (2 * 20));
            expect(ds.classWeights![1]).toBeCloseTo(25 / (2 * 5));
            let total = 0;
            for await (const b of ds.batches('train', { batchSize: 8 })) {
                const w = b.weights!.dataSync();
                const y = b.ys.dataSync();
                for (let r = 0; r < b.size; r++) expect(w[r]).toBeCloseTo(ds.classWeights![y[r * 2] === 1 ? 0 : 1]);
                total += b.size;
                b.dispose();
            }
            expect(total).toBe(25);

            const over = await loadDataset(plan({ source: { kind: 'csv', file: csv, images: join(DATA, 'scenes/images') }, balance: 'oversample' }), quiet(1));
            const order = over.epochOrder('train', { epoch: 0 });
            expect(order.length).toBe(40);
            const counts = [0, 0];
            for await (const b of over.batches('train', { batchSize: 16 })) {
                const y = b.ys.dataSync();
                for (let r = 0; r < b.size; r++) counts[y[r * 2] === 1 ? 0 : 1]++;
                b.dispose();
            }
            expect(counts).toEqual([20, 20]);
            expect(over.epochOrder('train', { epoch: 1 })).not.toEqual(order);
            expect(over.epochOrder('train', { epoch: 1 })).toEqual(over.epochOrder('train', { epoch: 1 }));
        } finally {
            tmp.cleanup();
        }
    });
});
