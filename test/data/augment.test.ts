// Augmentation and normalization: seeded (same seed → the same augmented batch twice), fresh
// each epoch, train split only, and the same numbers on the cpu and wasm backends.

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentUnitBatch, drawTransform, loadDataset, mulberry32 } from '../../src/runtime/data/index.js';
import type { AugmentPlan } from '../../src/core/plan/types.js';
import { plan } from './helpers.js';

const augment: AugmentPlan = { flip: 'horizontal', rotate: 15, zoom: 0.1, shift: 0.1, brightness: 0.2, contrast: 0.2, crop: 0.1, noise: 0.05 };
const p = plan({ split: { train: 0.8, val: 0.2 }, stratified: true, augment });

async function firstBatch(seed: number, epoch: number, split: 'train' | 'val' = 'train'): Promise<Float32Array> {
    const ds = await loadDataset(p, { seed, warn: () => undefined });
    const it = ds.batches(split, { batchSize: 8, epoch });
    const b = (await it.next()).value!;
    const x = b.xs.dataSync() as Float32Array;
    b.dispose();
    await it.return(undefined);
    return x;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
}

describe('augmentation (cpu backend)', () => {
    beforeAll(async () => {
        await tf.setBackend('cpu');
    });

    it('same seed → the same augmented batch twice; another epoch → another batch', async () => {
        const a = await firstBatch(7, 2);
        const b = await firstBatch(7, 2);
        expect(maxDiff(a, b)).toBe(0);
        const c = await firstBatch(7, 3);
        expect(maxDiff(a, c)).toBeGreaterThan(0.1);
    });

    it('leaves the val split alone', async () => {
        const ds = await loadDataset(p, { seed: 7, warn: () => undefined });
        const arrays = await ds.arrays('val');
        const b = (await ds.batches('val', { batchSize: 8, epoch: 5 }).next()).value!;
        expect(b.keys).toEqual(arrays.keys.slice(0, 8));
        expect(maxDiff(b.xs.dataSync(), arrays.x.subarray(0, 8 * 28 * 28))).toBe(0);
        b.dispose();
    });

    it('a horizontal flip mirrors exactly, and the draw is a coin toss per image', () => {
        const rng = mulberry32(1);
        let flips = 0;
        for (let i = 0; i < 200; i++) {
            const t = drawTransform({ flip: 'horizontal' }, 10, 6, rng).map((v) => v + 0); // -0 → 0
            if (t[0] === -1) {
                flips++;
                expect(t).toEqual([-1, 0, 9, 0, 1, 0, 0, 0]);
            } else expect(t).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
        }
        expect(flips).toBeGreaterThan(70);
        expect(flips).toBeLessThan(130);
        const x = tf.tensor4d(Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 24), [2, 3, 4, 1]);
        // A generator that always says "flip".
        const y = augmentUnitBatch(x, { flip: 'horizontal' }, () => 0.1);
        expect(maxDiff(y.dataSync(), tf.reverse(x, 2).dataSync())).toBeLessThan(1e-6);
        tf.dispose([x, y]);
    });

    it('brightness and contrast stay within [0, 1] before normalization; tensors are not leaked', async () => {
        const before = tf.memory().numTensors;
        const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
        const y = augmentUnitBatch(x, { brightness: 0.8, contrast: 0.8, rotate: 30 }, mulberry32(3));
        expect(y.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
        expect(y.max().dataSync()[0]).toBeLessThanOrEqual(1);
        tf.dispose([x, y]);
        const ds = await loadDataset(p, { seed: 7, warn: () => undefined });
        for await (const b of ds.batches('train', { batchSize: 64 })) b.dispose();
        expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2); // the two min/max scalars above
    });
});

describe('normalization presets', () => {
    it('unit, symmetric, imagenet and none are affine maps of the same pixels', async () => {
        const rgb = { image: { height: 8, width: 8, channels: 3 as const } };
        const get = async (normalize: 'unit' | 'symmetric' | 'imagenet' | 'none') =>
            (await (await loadDataset(plan({ ...rgb, normalize, classes: ['bag', 'sandal'] }), { seed: 1 })).arrays('train')).x;
        const [unit, sym, imn, none] = await Promise.all([get('unit'), get('symmetric'), get('imagenet'), get('none')]);
        for (const i of [0, 1, 2, 100, 101, 102, 5000]) {
            expect(none[i]).toBeCloseTo(unit[i] * 255, 3);
            expect(sym[i]).toBeCloseTo(unit[i] * 2 - 1, 5);
            const c = i % 3;
            expect(imn[i]).toBeCloseTo((unit[i] - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c], 4);
        }
    });
});

describe('augmentation on the wasm backend', () => {
    it('gives the cpu backend numbers', async () => {
        const x = tf.tensor4d(Array.from({ length: 5 * 12 * 10 * 3 }, (_, i) => ((i * 7) % 23) / 23), [5, 12, 10, 3]);
        const values = x.dataSync().slice();
        x.dispose();
        const full: AugmentPlan = { flip: 'both', rotate: 25, zoom: 0.2, shift: 0.15, crop: 0.1, brightness: 0.2, contrast: 0.3 };
        await tf.setBackend('cpu');
        const onCpu = tf.tidy(() => augmentUnitBatch(tf.tensor4d(values, [5, 12, 10, 3]), full, mulberry32(11)).dataSync());
        setWasmPaths(join(import.meta.dirname, '../../node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
        expect(await tf.setBackend('wasm')).toBe(true);
        try {
            const onWasm = tf.tidy(() => augmentUnitBatch(tf.tensor4d(values, [5, 12, 10, 3]), full, mulberry32(11)).dataSync());
            expect(maxDiff(onCpu, onWasm)).toBeLessThan(1e-4);
            // The whole pipeline, noise included, is reproducible on wasm too.
            const a = await firstBatch(7, 2);
            const b = await firstBatch(7, 2);
            expect(maxDiff(a, b)).toBe(0);
            await tf.setBackend('cpu');
            const c = await firstBatch(7, 2);
            expect(maxDiff(a, c)).toBeLessThan(1e-4);
        } finally {
            await tf.setBackend('cpu');
        }
    });
});
