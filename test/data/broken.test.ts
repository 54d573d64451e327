// Bad input never crashes: broken files are skipped with a warning naming them, and listed in
// `skipped`; a dataset with nothing usable is a DataError. Also covers decoding of formats,
// EXIF orientation, alpha and grayscale↔RGB.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, decodeSample, loadDataset } from '../../src/runtime/data/index.js';
import { makeBrokenTree, plan, tempDir } from './helpers.js';

describe('broken files', () => {
    const tmp = tempDir();
    let broken: string[] = [];
    beforeAll(async () => {
        ({ broken } = await makeBrokenTree(join(tmp.dir, 'tree')));
    });
    afterAll(tmp.cleanup);

    it('skips every broken file with a warning naming it, and keeps the good ones', async () => {
        const warnings: string[] = [];
        const ds = await loadDataset(plan({ source: { kind: 'folder', dir: join(tmp.dir, 'tree') }, image: { height: 8, width: 8, channels: 3 } }), {
            seed: 1,
            warn: (m) => warnings.push(m)
        });
        expect(ds.classes).toEqual(['dark', 'light']);
        // The truncated JPEG passes the header check; it is found, and skipped, while decoding.
        let seen = 0;
        for await (const b of ds.batches('train', { batchSize: 5 })) {
            seen += b.size;
            b.dispose();
        }
        expect(seen).toBe(16);
        expect(ds.size('train')).toBe(16);
        const skipped = new Map(ds.skipped.map((s) => [s.file, s.reason]));
        for (const f of broken) {
            expect(skipped.has(f), `${f} should be skipped`).toBe(true);
            expect(warnings.some((w) => w.includes(f))).toBe(true);
        }
        expect(skipped.get(join(tmp.dir, 'tree', 'empty'))).toMatch(/empty class folder/);
        expect(skipped.get(broken[0])).toMatch(/0 bytes/);
        expect(skipped.get(broken[1])).toMatch(/cannot decode/);
        expect(ds.splitsRecord().skipped.length).toBe(broken.length + 1);
    });

    it('a folder with no usable image is a DataError naming the spec line', async () => {
        const dir = join(tmp.dir, 'junk');
        mkdirSync(join(dir, 'a'), { recursive: true });
        mkdirSync(join(dir, 'b'), { recursive: true });
        writeFileSync(join(dir, 'a', 'x.jpg'), Buffer.alloc(0));
        writeFileSync(join(dir, 'b', 'y.png'), 'nope');
        const p = plan({ source: { kind: 'folder', dir } });
        await expect(loadDataset(p, { seed: 1, warn: () => undefined })).rejects.toThrow(DataError);
        await expect(loadDataset(p, { seed: 1, warn: () => undefined })).rejects.toThrow(/test\.graft:7:1\): no usable image in .*junk \(2 file\(s\) skipped/);
    });

    it('a missing folder or CSV is a DataError, not a crash', async () => {
        await expect(loadDataset(plan({ source: { kind: 'folder', dir: join(tmp.dir, 'nope') } }), { seed: 1 })).rejects.toThrow(/cannot read the folder .*nope/);
        await expect(loadDataset(plan({ source: { kind: 'csv', file: join(tmp.dir, 'nope.csv'), images: tmp.dir } }), { seed: 1 })).rejects.toThrow(/cannot read the CSV file/);
        await expect(loadDataset(plan({ source: { kind: 'idx', dir: join(tmp.dir, 'tree') } }), { seed: 1 })).rejects.toThrow(/no MNIST-format files/);
    });

    it('reads plain and gzipped IDX files and skips a truncated one', async () => {
        const { gzipSync } = await import('node:zlib');
        const dir = join(tmp.dir, 'idx');
        mkdirSync(dir, { recursive: true });
        const n = 6;
        const images = Buffer.alloc(16 + n * 4 * 4);
        images.writeUInt32BE(0x803, 0);
        images.writeUInt32BE(n, 4);
        images.writeUInt32BE(4, 8);
        images.writeUInt32BE(4, 12);
        for (let i = 0; i < n * 16; i++) images[16 + i] = (i * 37) % 256;
        const labels = Buffer.alloc(8 + n);
        labels.writeUInt32BE(0x801, 0);
        labels.writeUInt32BE(n, 4);
        for (let i = 0; i < n; i++) labels[8 + i] = i % 2;
        writeFileSync(join(dir, 'train-images-idx3-ubyte'), images);
        writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labels);
        writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images));
        writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels));
        writeFileSync(join(dir, 'bad-images-idx3-ubyte'), images.subarray(0, 40));
        writeFileSync(join(dir, 'bad-labels-idx1-ubyte'), labels);
        const ds = await loadDataset(plan({ source: { kind: 'idx', dir }, image: { height: 4, width: 4, channels: 1 }, normalize: 'none' }), { seed: 1, warn: () => undefined });
        expect(ds.size('train')).toBe(12);
        expect(ds.classes).toEqual(['0', '1']);
        expect(ds.skipped.map((s) => s.file)).toEqual([join(dir, 'bad-images-idx3-ubyte')]);
        const a = await ds.arrays('train');
        const k = a.keys.indexOf('train-images-idx3-ubyte#1');
        expect(Array.from(a.x.subarray(k * 16, k * 16 + 3))).toEqual([(16 * 37) % 256, (17 * 37) % 256, (18 * 37) % 256]);
    });
});

describe('decoding', () => {
    const tmp = tempDir();
    afterAll(tmp.cleanup);

    it('applies EXIF orientation before resizing', async () => {
        // 40 wide × 20 tall, white left half; orientation 6 = shown rotated 90° clockwise, so the
        // displayed image is 20 × 40 with the white half on top.
        const px = Buffer.alloc(40 * 20 * 3);
        for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) px.fill(255, (y * 40 + x) * 3, (y * 40 + x) * 3 + 3);
        const path = join(tmp.dir, 'rotated.jpg');
        await sharp(px, { raw: { width: 40, height: 20, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toFile(path);
        const out = await decodeSample({ kind: 'file', path }, { height: 40, width: 20, channels: 1 });
        expect(out[5 * 20 + 10]).toBeGreaterThan(200); // top
        expect(out[35 * 20 + 10]).toBeLessThan(50); // bottom
    });

    it('flattens alpha, converts grayscale to RGB, reads the first GIF frame and WebP', async () => {
        const rgba = join(tmp.dir, 'alpha.png');
        await sharp({ create: { width: 6, height: 6, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toFile(rgba);
        const flat = await decodeSample({ kind: 'file', path: rgba }, { height: 6, width: 6, channels: 3 });
        expect(flat.length).toBe(6 * 6 * 3);
        expect(Math.max(...flat)).toBe(0); // transparent → black background

        const gray = join(tmp.dir, 'gray.png');
        await sharp({ create: { width: 5, height: 5, channels: 3, background: { r: 128, g: 128, b: 128 } } }).greyscale().png().toFile(gray);
        const rgb = await decodeSample({ kind: 'file', path: gray }, { height: 5, width: 5, channels: 3 });
        expect(rgb.length).toBe(75);
        expect(Math.abs(rgb[0] - 128)).toBeLessThanOrEqual(1);
        expect(rgb[0]).toBe(rgb[1]);

        const webp = join(tmp.dir, 'x.webp');
        await sharp({ create: { width: 9, height: 7, channels: 3, background: { r: 0, g: 0, b: 250 } } }).webp({ lossless: true }).toFile(webp);
        const w = await decodeSample({ kind: 'file', path: webp }, { height: 3, width: 3, channels: 3 });
        expect([w[0], w[1], w[2]]).toEqual([0, 0, 250]);

        // Two-frame GIF: red then green; only the first frame counts.
        const frames = Buffer.alloc(2 * 4 * 4 * 4);
        for (let i = 0; i < 16; i++) {
            frames.set([255, 0, 0, 255], i * 4);
            frames.set([0, 255, 0, 255], 64 + i * 4);
        }
        const gif = join(tmp.dir, 'anim.gif');
        await sharp(frames, { raw: { width: 4, height: 8, channels: 4, pageHeight: 4 } }).gif().toFile(gif);
        const g = await decodeSample({ kind: 'file', path: gif }, { height: 4, width: 4, channels: 3 });
        expect(g[0]).toBeGreaterThan(200);
        expect(g[1]).toBeLessThan(50);
    });
});
