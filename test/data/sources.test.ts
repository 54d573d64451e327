// Sources on the shipped example data: folder (mixed JPEG/PNG), shifted RGB domain, CSV with a
// multi-label and a count column, the mnist package, and Fashion-MNIST IDX when installed.

import { existsSync, mkdirSync, cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, loadDataset } from '../../src/runtime/data/index.js';
import { mnistDigitsDir } from '../../src/runtime/data/sources/mnist.js';
import { DATA, FASHION_MNIST, plan, readJson, tempDir } from './helpers.js';

const quiet = { seed: 1, warn: () => undefined };

describe('folder source', () => {
    it('reads fashion5 (JPEG and PNG) into sorted classes with exact split sizes', async () => {
        const ds = await loadDataset(plan({ split: { train: 0.6, val: 0.2, test: 0.2 }, stratified: true }), quiet);
        expect(ds.classes).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        expect(ds.splitNames).toEqual(['train', 'val', 'test']);
        expect(ds.classCounts('train')).toEqual([60, 60, 60, 60, 60]);
        expect(ds.classCounts('val')).toEqual([20, 20, 20, 20, 20]);
        expect(ds.classCounts('test')).toEqual([20, 20, 20, 20, 20]);
        const keys = ds.keys('train');
        expect(keys.some((k) => k.endsWith('.jpg'))).toBe(true);
        expect(keys.some((k) => k.endsWith('.png'))).toBe(true);
        const a = await ds.arrays('test');
        expect(a.n).toBe(100);
        expect(a.shape).toEqual([28, 28, 1]);
        let min = Infinity;
        let max = -Infinity;
        for (const v of a.x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        expect(min).toBeGreaterThanOrEqual(0);
        expect(max).toBeLessThanOrEqual(1);
        expect(max).toBeGreaterThan(0.5);
        expect(ds.skipped).toEqual([]);
        await ds.close();
    });

    it('applies the classes filter and order', async () => {
        const ds = await loadDataset(plan({ classes: ['tshirt', 'bag'] }), quiet);
        expect(ds.classes).toEqual(['tshirt', 'bag']);
        expect(ds.splitNames).toEqual(['train']);
        expect(ds.isSplit).toBe(false);
        expect(ds.classCounts('train')).toEqual([100, 100]);
        const a = await ds.arrays('train');
        const tshirtRow = a.keys.findIndex((k) => k.startsWith('tshirt/'));
        expect(Array.from(a.y.subarray(tshirtRow * 2, tshirtRow * 2 + 2))).toEqual([1, 0]);
    });

    it('names a class of `classes` that the folder does not have', async () => {
        await expect(loadDataset(plan({ classes: ['bag', 'hat'] }), quiet)).rejects.toThrow(/"hat".*no usable image.*Classes found: "bag"/);
    });

    it('reads the shifted domain as RGB and converts it to grayscale on request', async () => {
        const rgb = await loadDataset(plan({ source: { kind: 'folder', dir: join(DATA, 'fashion5-shifted') }, image: { height: 32, width: 32, channels: 3 } }), quiet);
        const a = await rgb.arrays('train');
        expect(a.n).toBe(300);
        expect(a.x.length).toBe(300 * 32 * 32 * 3);
        // Colourful images: R, G, B differ somewhere.
        let coloured = 0;
        for (let i = 0; i < a.x.length; i += 3) if (Math.abs(a.x[i] - a.x[i + 1]) > 0.1) coloured++;
        expect(coloured).toBeGreaterThan(1000);
        const gray = await loadDataset(plan({ source: { kind: 'folder', dir: join(DATA, 'fashion5-shifted') }, image: { height: 16, width: 16, channels: 1 } }), quiet);
        expect((await gray.arrays('train')).x.length).toBe(300 * 16 * 16);
    });

    describe('pre-split trees', () => {
        const tmp = tempDir();
        afterAll(tmp.cleanup);
        it('takes splits from <dir>/<split>/<class>', async () => {
            for (const split of ['train', 'val']) {
                for (const cls of ['bag', 'sandal']) {
                    mkdirSync(join(tmp.dir, split, cls), { recursive: true });
                    const files = readdirSync(join(DATA, 'fashion5', cls)).sort();
                    const pick = split === 'train' ? files.slice(0, 6) : files.slice(6, 8);
                    for (const f of pick) cpSync(join(DATA, 'fashion5', cls, f), join(tmp.dir, split, cls, f));
                }
            }
            const ds = await loadDataset(plan({ source: { kind: 'folder', dir: tmp.dir, splits: ['train', 'val'] } }), quiet);
            expect(ds.splitNames).toEqual(['train', 'val']);
            expect(ds.classCounts('train')).toEqual([6, 6]);
            expect(ds.classCounts('val')).toEqual([2, 2]);
            expect(ds.splitsRecord().mode).toBe('folders');
            await expect(loadDataset(plan({ source: { kind: 'folder', dir: tmp.dir, splits: ['train', 'test'] } }), quiet)).rejects.toThrow(DataError);
        });
    });
});

describe('csv source', () => {
    const scenes = plan({
        source: { kind: 'csv', file: join(DATA, 'scenes/labels.csv'), images: join(DATA, 'scenes/images') },
        task: 'multi_label',
        image: { height: 56, width: 56, channels: 3 },
        split: { train: 0.7, val: 0.15, test: 0.15 }
    });

    it('gives multi-hot labels and a per-column label space for `count`', async () => {
        const ds = await loadDataset(scenes, { seed: 5, warn: () => undefined });
        expect(ds.defaultColumn).toBe('labels');
        expect(ds.classes).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        expect(ds.labelSpace('count')).toEqual({ column: 'count', classes: ['1', '2', '3'], multiLabel: false });
        expect(() => ds.labelSpace('colour')).toThrow(/no label column "colour"/);
        expect(ds.splitNames.map((s) => ds.size(s))).toEqual([280, 60, 60]);
        const a = await ds.arrays('test');
        // A scene holds `count` items, of `tags` distinct kinds (labels.csv is built that way).
        for (let r = 0; r < a.n; r++) {
            const tags = a.labels[r].length;
            const count = Number(ds.labelSpace('count').classes[a.targets.count.labels[r][0]]);
            expect(tags).toBeGreaterThanOrEqual(1);
            expect(count).toBeGreaterThanOrEqual(tags);
            expect(a.y.subarray(r * 5, r * 5 + 5).reduce((x, y) => x + y, 0)).toBe(tags);
        }
        const first = await ds.batches('train', { batchSize: 16 }).next();
        expect(first.done).toBe(false);
        const b = first.value!;
        expect(b.xs.shape).toEqual([16, 56, 56, 3]);
        expect(b.ys.shape).toEqual([16, 5]);
        expect(b.targets.count.shape).toEqual([16, 3]);
        const countRows = (await b.targets.count.array()) as number[][];
        for (const row of countRows) expect(row.reduce((x, y) => x + y, 0)).toBe(1);
        b.dispose();
    });

    it('skips rows naming missing files, and rows with several labels in a single-label dataset', async () => {
        const tmp = tempDir();
        try {
            const { writeFileSync } = await import('node:fs');
            const csv = join(tmp.dir, 'labels.csv');
            writeFileSync(csv, 'file,labels,count\nscene_0.png,tshirt,3\nmissing.png,bag,1\nscene_1.png,bag;sneaker,2\n\nscene_3.png,trouser,1\n');
            const warnings: string[] = [];
            const ds = await loadDataset(plan({ source: { kind: 'csv', file: csv, images: join(DATA, 'scenes/images') } }), { seed: 1, warn: (m) => warnings.push(m) });
            expect(ds.size('train')).toBe(2);
            expect(ds.skipped.map((s) => s.file)).toEqual([join(DATA, 'scenes/images/scene_1.png'), join(DATA, 'scenes/images/missing.png')]);
            expect(ds.skipped[1].reason).toContain(`${csv}:3`);
            expect(ds.skipped[0].reason).toContain('multi_label');
            expect(warnings.some((w) => w.includes('missing.png'))).toBe(true);
        } finally {
            tmp.cleanup();
        }
    });
});

describe('mnist source', () => {
    it('reads the digits of the mnist package with classes 5..9 and 10 shots', async () => {
        const ds = await loadDataset(
            plan({ source: { kind: 'mnist' }, classes: ['5', '6', '7', '8', '9'], split: { train: 0.4, val: 0.2, test: 0.4 }, stratified: true, shots: 10 }),
            quiet
        );
        expect(ds.classes).toEqual(['5', '6', '7', '8', '9']);
        expect(ds.classCounts('train')).toEqual([10, 10, 10, 10, 10]);
        const a = await ds.arrays('train');
        expect(a.n).toBe(50);
        // Digits are white strokes on black: mostly zeros, some bright pixels per image.
        const bright = a.x.filter((v) => v > 0.9).length;
        expect(bright / a.n).toBeGreaterThan(30);
        // Every digit 5..9 of the package is in exactly one split or among the unused shots.
        const rec = ds.splitsRecord();
        const all = [...rec.splits.train!, ...rec.splits.val!, ...rec.splits.test!, ...rec.unused];
        let total = 0;
        for (const d of ['5', '6', '7', '8', '9']) total += (readJson(join(mnistDigitsDir(), `${d}.json`)) as { data: number[] }).data.length / 784;
        expect(all.length).toBe(total);
        expect(new Set(all).size).toBe(total);
        await expect(loadDataset(plan({ source: { kind: 'mnist' }, classes: ['3', 'cat'] }), quiet)).rejects.toThrow(/has the classes 0\.\.9; "cat" is not among them/);
    });
});

describe.skipIf(!existsSync(FASHION_MNIST))('idx source (Fashion-MNIST from the Debian package)', () => {
    it('pools train and t10k files and splits them', async () => {
        const ds = await loadDataset(plan({ source: { kind: 'idx', dir: FASHION_MNIST }, split: { train: 0.9, val: 0.1 }, stratified: true }), quiet);
        expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        expect(ds.size('train') + ds.size('val')).toBe(70000);
        expect(ds.classCounts('val')).toEqual(new Array(10).fill(700));
        const first = await ds.batches('val', { batchSize: 64 }).next();
        expect(first.value!.xs.shape).toEqual([64, 28, 28, 1]);
        first.value!.dispose();
        await ds.close();
    });
});

if (!existsSync(FASHION_MNIST)) {
    console.warn(`idx test skipped: ${FASHION_MNIST} is absent (apt-get install -y dataset-fashion-mnist)`);
}
