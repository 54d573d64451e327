// Shared helpers for the data tests: plans for the shipped example data, and a temp folder of
// deliberately broken and unusual image files.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DatasetPlan } from '../../src/core/plan/types.js';

export const EXAMPLES = join(import.meta.dirname, '../../examples');
export const DATA = join(EXAMPLES, 'data');
export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export function plan(over: Partial<DatasetPlan> = {}): DatasetPlan {
    return {
        name: 'test_data',
        at: { file: join(EXAMPLES, 'test.graft'), line: 7, column: 1 },
        source: { kind: 'folder', dir: join(DATA, 'fashion5') },
        task: 'single_label',
        image: { height: 28, width: 28, channels: 1 },
        normalize: 'unit',
        stratified: false,
        augment: {},
        balance: 'none',
        ...over
    };
}

export function tempDir(prefix = 'graft-data-test-'): { dir: string; cleanup: () => void } {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A solid-colour image (RGB) of the given format. */
export async function solid(width: number, height: number, rgb: [number, number, number], format: 'png' | 'jpeg' | 'webp' | 'gif'): Promise<Buffer> {
    return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
        .toFormat(format)
        .toBuffer();
}

/**
 * Two classes of good images (`light`, `dark`) in many formats, plus broken files of every kind
 * the issue lists, and an empty class folder. Returns the list of broken files by name.
 */
export async function makeBrokenTree(root: string): Promise<{ broken: string[] }> {
    const light = join(root, 'light');
    const dark = join(root, 'dark');
    mkdirSync(light, { recursive: true });
    mkdirSync(dark, { recursive: true });
    mkdirSync(join(root, 'empty'), { recursive: true });
    const formats = ['png', 'jpeg', 'webp', 'gif'] as const;
    for (let i = 0; i < 8; i++) {
        const f = formats[i % formats.length];
        const ext = f === 'jpeg' ? 'jpg' : f;
        writeFileSync(join(light, `l${i}.${ext}`), await solid(12 + i, 10, [230, 220 - i, 210], f));
        writeFileSync(join(dark, `d${i}.${ext}`), await solid(10, 12 + i, [20 + i, 30, 25], f));
    }
    const broken = {
        zero: join(light, 'zero.jpg'),
        truncated: join(light, 'truncated.jpg'),
        garbage: join(dark, 'garbage.png'),
        text: join(dark, 'notes.txt'),
        fifo: join(dark, 'pipe.png'),
        dangling: join(dark, 'gone.jpg')
    };
    writeFileSync(broken.zero, Buffer.alloc(0));
    // A big, noisy JPEG cut in half: the header is intact, the body is not.
    const noisy = await sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 64, height: 64, channels: 3 } })
        .jpeg({ quality: 95 })
        .toBuffer();
    writeFileSync(broken.truncated, noisy.subarray(0, Math.floor(noisy.length / 2)));
    writeFileSync(broken.garbage, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from('definitely not a png'.repeat(20))]));
    writeFileSync(broken.text, 'not an image');
    // A named pipe with an image name: reading it would block forever, so it must never be opened.
    execFileSync('mkfifo', [broken.fifo]);
    symlinkSync(join(root, 'does-not-exist.jpg'), broken.dangling);
    return { broken: Object.values(broken) };
}

export function readJson(path: string): unknown {
    return JSON.parse(readFileSync(path, 'utf8'));
}
