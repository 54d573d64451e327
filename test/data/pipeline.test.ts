// The streaming pipeline: bounded prefetch, decode once (memory or disk cache), the same batches
// from both caches, whole splits as tensors.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/runtime/data/index.js';
import { DATA, plan } from './helpers.js';

const p = plan({ source: { kind: 'folder', dir: join(DATA, 'fashion5-shifted') }, image: { height: 20, width: 20, channels: 3 }, split: { train: 0.75, test: 0.25 }, stratified: true });

async function epoch(ds: Awaited<ReturnType<typeof loadDataset>>, e: number): Promise<{ x: number[]; keys: string[] }> {
    const x: number[] = [];
    const keys: string[] = [];
    for await (const b of ds.batches('train', { batchSize: 32, epoch: e })) {
        x.push(...b.xs.dataSync().slice(0, 50));
        keys.push(...b.keys);
        b.dispose();
    }
    return { x, keys };
}

describe('pipeline', () => {
    it('decodes each image once; later epochs come from the memory cache', async () => {
        const ds = await loadDataset(p, { seed: 1 });
        expect(ds.cacheStats().kind).toBe('memory');
        const e0 = await epoch(ds, 0);
        expect(e0.keys.length).toBe(225);
        expect(new Set(e0.keys).size).toBe(225);
        expect(ds.cacheStats().decodes).toBe(225);
        const e1 = await epoch(ds, 1);
        expect(ds.cacheStats().decodes).toBe(225);
        expect(e1.keys).not.toEqual(e0.keys); // reshuffled per epoch
        expect([...e1.keys].sort()).toEqual([...e0.keys].sort());
    });

    it('the disk cache gives the same batches and is removed on close', async () => {
        const mem = await loadDataset(p, { seed: 1 });
        const disk = await loadDataset(p, { seed: 1, cache: { memoryBudgetBytes: 0 } });
        expect(disk.cacheStats().kind).toBe('disk');
        const a = await epoch(mem, 0);
        const b0 = await epoch(disk, 0);
        const b1 = await epoch(disk, 0); // second pass: read back from the file
        expect(b0).toEqual(a);
        expect(b1).toEqual(a);
        expect(disk.cacheStats().decodes).toBe(225);
        const folder = (disk as unknown as { parts: { cache: { folder: string } } }).parts.cache.folder;
        expect(existsSync(folder)).toBe(true);
        await disk.close();
        expect(existsSync(folder)).toBe(false);
    });

    it('prefetches a bounded number of batches ahead of the consumer', async () => {
        const ds = await loadDataset(p, { seed: 1 });
        const it = ds.batches('train', { batchSize: 10, prefetch: 2 });
        const first = await it.next();
        first.value!.dispose();
        // Consumer holds batch 0; at most `prefetch` more batches are being decoded.
        expect(ds.cacheStats().decodes).toBeLessThanOrEqual(30);
        await it.return(undefined);
        expect(ds.cacheStats().decodes).toBeLessThan(225);
    });

    it('returns a whole split as tensors', async () => {
        const ds = await loadDataset(p, { seed: 1 });
        const { xs, ys, keys } = await ds.tensors('test');
        expect(xs.shape).toEqual([75, 20, 20, 3]);
        expect(ys.shape).toEqual([75, 5]);
        expect(keys.length).toBe(75);
        expect(ys.sum(1).dataSync().every((v) => v === 1)).toBe(true);
        tf.dispose([xs, ys]);
        expect(ds.evaluationSplit()).toBe('test');
        expect(ds.adaptationSplit()).toBe('train');
        expect(ds.size('all')).toBe(300);
        expect((await ds.arrays('all')).n).toBe(300);
        const whole = await loadDataset({ ...p, split: undefined }, { seed: 1 });
        expect(whole.evaluationSplit()).toBe('all');
        expect(whole.adaptationSplit()).toBe('all');
        expect(whole.splitNames).toEqual(['train']);
        expect(ds.size('val')).toBe(0);
        await expect(ds.arrays('val')).rejects.toThrow(/has no val split \(splits: train, test\)/);
    });
});
