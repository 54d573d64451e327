// Data pipeline benchmark (npm run bench:data): a folder of 20,000 JPEGs at 96×96 (generated
// once, cached in os.tmpdir()), streamed as batches of 64 on the wasm backend. Prints images/s
// for the first epoch (decode + resize + cache) and later epochs (from the cache), and the peak
// RSS, once with the in-memory cache and once with the disk cache (each in its own process so
// the peaks are separate), then estimates a 60,000-image folder with the disk cache.
//
//   npm run bench:data                 # 20,000 images
//   npm run bench:data -- --images 60000 --modes disk   # measure 60,000 for real (minutes)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadDataset } from '../src/runtime/data/index.js';
import { mapLimit } from '../src/runtime/data/concurrency.js';
import type { DatasetPlan } from '../src/core/plan/types.js';

const SIDE = 96;
const CLASSES = 10;
const BATCH = 64;
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const count = Number(arg('--images') ?? 20000);
const root = join(tmpdir(), `graft-bench-jpeg-${SIDE}-${count}`);

/** Textured images (class-dependent stripes + gradients + pseudo-noise) so JPEG decode does real work. */
async function generate(): Promise<void> {
    const marker = join(root, 'complete.json');
    if (existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).count === count) return;
    console.log(`generating ${count} JPEGs of ${SIDE}x${SIDE} in ${root} (once)…`);
    const t0 = performance.now();
    for (let c = 0; c < CLASSES; c++) mkdirSync(join(root, `class${c}`), { recursive: true });
    await mapLimit(
        Array.from({ length: count }, (_, i) => i),
        8,
        async (i) => {
            const c = i % CLASSES;
            const px = Buffer.alloc(SIDE * SIDE * 3);
            let s = (i * 2654435761) >>> 0;
            for (let y = 0; y < SIDE; y++) {
                for (let x = 0; x < SIDE; x++) {
                    s = (s * 1664525 + 1013904223) >>> 0;
                    const n = s >>> 26;
                    const stripe = ((x + y * (c + 1)) >> 3) & 1 ? 90 : 0;
                    const o = (y * SIDE + x) * 3;
                    px[o] = (x * 2 + stripe + n) & 255;
                    px[o + 1] = (y * 2 + c * 20 + n) & 255;
                    px[o + 2] = (stripe * 2 + (i & 63) + n) & 255;
                }
            }
            await sharp(px, { raw: { width: SIDE, height: SIDE, channels: 3 } })
                .jpeg({ quality: 85 })
                .toFile(join(root, `class${c}`, `img${i}.jpg`));
        }
    );
    writeFileSync(marker, JSON.stringify({ count }));
    console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const peakMB = () => process.resourceUsage().maxRSS / 1024;

interface ChildResult {
    mode: string;
    indexSeconds: number;
    epochs: { epoch: number; imagesPerSecond: number; seconds: number }[];
    augmentedImagesPerSecond: number;
    rssBeforeMB: number;
    rssAfterIndexMB: number;
    /** JS heap growth while indexing (includes garbage not yet collected: an upper bound). */
    heapIndexMB: number;
    peakMB: number;
    cacheBytes: number;
}

async function child(mode: 'memory' | 'disk'): Promise<void> {
    setWasmPaths(join(fileURLToPath(new URL('.', import.meta.url)), '../node_modules/@tensorflow/tfjs-backend-wasm/dist'));
    await tf.setBackend('wasm');
    const rssBefore = rssMB();
    const heapBefore = process.memoryUsage().heapUsed / 2 ** 20;
    const plan: DatasetPlan = {
        name: 'bench',
        at: { file: 'bench.graft', line: 1, column: 1 },
        source: { kind: 'folder', dir: root },
        task: 'single_label',
        image: { height: SIDE, width: SIDE, channels: 3 },
        normalize: 'symmetric',
        stratified: false,
        augment: { flip: 'horizontal', zoom: 0.1 },
        balance: 'none'
    };
    let t = performance.now();
    const ds = await loadDataset(plan, { seed: 1, cache: mode === 'disk' ? { memoryBudgetBytes: 0 } : undefined });
    const indexSeconds = (performance.now() - t) / 1000;
    const rssAfterIndex = rssMB();
    const heapIndex = process.memoryUsage().heapUsed / 2 ** 20 - heapBefore;
    const epochs: ChildResult['epochs'] = [];
    for (let e = 0; e < 3; e++) {
        t = performance.now();
        let n = 0;
        for await (const b of ds.batches('train', { batchSize: BATCH, epoch: e, augment: false })) {
            n += b.size;
            b.dispose();
        }
        const seconds = (performance.now() - t) / 1000;
        epochs.push({ epoch: e, imagesPerSecond: n / seconds, seconds });
    }
    // Augmented batches (flip + zoom as tensor ops on wasm), on a slice of the epoch.
    t = performance.now();
    let n = 0;
    for await (const b of ds.batches('train', { batchSize: BATCH, epoch: 3 })) {
        n += b.size;
        b.dispose();
        if (n >= 5000) break;
    }
    const augmentedImagesPerSecond = n / ((performance.now() - t) / 1000);
    const result: ChildResult = {
        mode,
        indexSeconds,
        epochs,
        augmentedImagesPerSecond,
        rssBeforeMB: rssBefore,
        rssAfterIndexMB: rssAfterIndex,
        heapIndexMB: heapIndex,
        peakMB: peakMB(),
        cacheBytes: ds.cacheStats().bytes
    };
    await ds.close();
    console.log(`RESULT ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
    await generate();
    const results: ChildResult[] = [];
    const modes = (arg('--modes') ?? 'memory,disk').split(',') as ('memory' | 'disk')[];
    for (const mode of modes) {
        const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, '--images', String(count)], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'inherit']
        });
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`bench child (${mode}) failed:\n${r.stdout}`);
        results.push(JSON.parse(line.slice(7)) as ChildResult);
    }
    console.log(`\n${count} JPEGs ${SIDE}x${SIDE}x3, batch ${BATCH}, wasm backend, ${(await import('node:os')).availableParallelism()} cores`);
    for (const r of results) {
        console.log(`\n[${r.mode} cache, ${(r.cacheBytes / 2 ** 20).toFixed(0)} MB of decoded pixels]`);
        console.log(`  index + header check: ${r.indexSeconds.toFixed(1)} s (${(count / r.indexSeconds).toFixed(0)} files/s)`);
        for (const e of r.epochs) {
            console.log(`  epoch ${e.epoch} ${e.epoch === 0 ? '(decode+resize) ' : '(from cache)    '}: ${e.imagesPerSecond.toFixed(0)} images/s (${e.seconds.toFixed(1)} s)`);
        }
        console.log(`  augmented (flip+zoom, from cache): ${r.augmentedImagesPerSecond.toFixed(0)} images/s`);
        console.log(`  RSS: ${r.rssBeforeMB.toFixed(0)} MB at start, ${r.rssAfterIndexMB.toFixed(0)} MB after indexing (JS heap +${r.heapIndexMB.toFixed(0)} MB), peak ${r.peakMB.toFixed(0)} MB`);
    }
    const disk = results.find((r) => r.mode === 'disk');
    if (!disk || count >= 60000) return;
    // With the disk cache, memory grows with the number of files only through the index
    // (sample records); pixels live in the file and the page cache. Scale that part linearly,
    // taking the larger of the RSS and heap growth while indexing.
    const indexPerImage = Math.max(0, disk.rssAfterIndexMB - disk.rssBeforeMB, disk.heapIndexMB) / count;
    const estimate = disk.peakMB + indexPerImage * (60000 - count);
    console.log(`\nestimate for 60,000 images at ${SIDE}x${SIDE} with the disk cache: peak RSS ≈ ${estimate.toFixed(0)} MB (target < 2048 MB)`);
    console.log(`  (disk peak ${disk.peakMB.toFixed(0)} MB + index ${(indexPerImage * 1024).toFixed(2)} KB/image × ${60000 - count} more images)`);
}

if (args[0] === '--child') await child(args[1] as 'memory' | 'disk');
else await main();
