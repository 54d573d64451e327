// `source idx "<dir>"`: MNIST-format files (e.g. train-images-idx3-ubyte[.gz] with
// train-labels-idx1-ubyte[.gz]). Every image/label pair in the folder is pooled, `train` files
// first; the spec's `split` divides the pool. Class names are the label values ("0", "1", …).

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DatasetPlan } from '../../../core/plan/types.js';
import { dataError, describeError, type SkipLog } from '../errors.js';
import type { RawSample, SourceListing } from '../types.js';
import { DEFAULT_COLUMN } from './folder.js';

const IMAGES = /^(.*?)[-.]images[-.]idx3[-.]ubyte(\.gz)?$/i;
const LABELS = /^(.*?)[-.]labels[-.]idx1[-.]ubyte(\.gz)?$/i;
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

async function readMaybeGz(path: string): Promise<Buffer> {
    const raw = await fs.readFile(path);
    // Detect gzip by its magic bytes rather than the name: some mirrors ship unpacked files as .gz.
    return raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

interface IdxImages {
    count: number;
    rows: number;
    cols: number;
    pixels: Uint8Array;
}

export function parseIdxImages(buf: Buffer): IdxImages {
    if (buf.length < 16 || buf.readUInt32BE(0) !== IMAGES_MAGIC) throw new Error('not an IDX image file (bad magic number; expected 0x00000803, unsigned bytes, 3 dimensions)');
    const count = buf.readUInt32BE(4);
    const rows = buf.readUInt32BE(8);
    const cols = buf.readUInt32BE(12);
    if (rows === 0 || cols === 0) throw new Error(`image size ${rows}x${cols} is empty`);
    const need = 16 + count * rows * cols;
    if (buf.length < need) throw new Error(`truncated: header promises ${count} images of ${rows}x${cols} (${need} bytes), file has ${buf.length}`);
    return { count, rows, cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols) };
}

export function parseIdxLabels(buf: Buffer): Uint8Array {
    if (buf.length < 8 || buf.readUInt32BE(0) !== LABELS_MAGIC) throw new Error('not an IDX label file (bad magic number; expected 0x00000801)');
    const count = buf.readUInt32BE(4);
    if (buf.length < 8 + count) throw new Error(`truncated: header promises ${count} labels, file has ${buf.length - 8}`);
    return new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
}

export async function listIdx(plan: DatasetPlan, source: { dir: string }, log: SkipLog): Promise<SourceListing> {
    let names: string[];
    try {
        names = (await fs.readdir(source.dir)).sort();
    } catch (e) {
        throw dataError(plan, `cannot read the folder ${source.dir} (${describeError(e)}). Check the path in \`source idx\`.`);
    }
    const labelFiles = new Map<string, string>();
    for (const n of names) {
        const m = LABELS.exec(n);
        if (m) labelFiles.set(m[1].toLowerCase(), n);
    }
    const pairs: { prefix: string; images: string; labels: string }[] = [];
    for (const n of names) {
        const m = IMAGES.exec(n);
        if (!m) continue;
        const labels = labelFiles.get(m[1].toLowerCase());
        if (!labels) {
            log.skip(join(source.dir, n), `no matching labels file (${m[1]}-labels-idx1-ubyte[.gz])`);
            continue;
        }
        pairs.push({ prefix: m[1], images: n, labels });
    }
    if (pairs.length === 0) {
        throw dataError(plan, `no MNIST-format files in ${source.dir}. Expected pairs such as train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz.`);
    }
    // `train` before `t10k`/`test` so sample order (and thus keys) reads naturally.
    pairs.sort((a, b) => Number(!/train/i.test(a.prefix)) - Number(!/train/i.test(b.prefix)) || a.prefix.localeCompare(b.prefix));

    const samples: RawSample[] = [];
    for (const pair of pairs) {
        const imagesPath = join(source.dir, pair.images);
        const labelsPath = join(source.dir, pair.labels);
        let images: IdxImages;
        let labels: Uint8Array;
        try {
            images = parseIdxImages(await readMaybeGz(imagesPath));
        } catch (e) {
            log.skip(imagesPath, describeError(e));
            continue;
        }
        try {
            labels = parseIdxLabels(await readMaybeGz(labelsPath));
        } catch (e) {
            log.skip(labelsPath, describeError(e));
            continue;
        }
        const n = Math.min(images.count, labels.length);
        if (images.count !== labels.length) {
            log.skip(`${imagesPath}#${n}..`, `${images.count} images but ${labels.length} labels; only the first ${n} are used`);
        }
        const size = images.rows * images.cols;
        for (let i = 0; i < n; i++) {
            samples.push({
                key: `${pair.images}#${i}`,
                origin: `${imagesPath}#${i}`,
                source: { kind: 'raw', pixels: images.pixels.subarray(i * size, (i + 1) * size), width: images.cols, height: images.rows, channels: 1 },
                labels: { [DEFAULT_COLUMN]: [String(labels[i])] }
            });
        }
    }
    return { samples, root: source.dir, columns: [DEFAULT_COLUMN], defaultColumn: DEFAULT_COLUMN, presplit: false };
}
