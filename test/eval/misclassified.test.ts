// Choosing the misclassified gallery: most confident mistakes first, deterministic ties, the
// streaming collector equal to sorting everything at once, and normalisation inverted exactly.
import { describe, expect, it } from 'vitest';
import { denormalize, MisclassifiedCollector, selectMisclassified } from '../../src/runtime/eval/misclassified.js';
import { normalizationOf } from '../../src/runtime/data/index.js';
import type { Normalize } from '../../src/core/plan/types.js';

describe('selectMisclassified', () => {
    it('keeps wrong argmaxes only, most confident first, ties in evaluation order', () => {
        // 3 classes, 6 samples
        const probs = [
            0.7, 0.2, 0.1, // label 0, right
            0.1, 0.8, 0.1, // label 0, wrong (0.8)
            0.2, 0.2, 0.6, // label 1, wrong (0.6)
            0.1, 0.1, 0.8, // label 2, right
            0.6, 0.3, 0.1, // label 2, wrong (0.6, tie with sample 2)
            0.05, 0.9, 0.05 // label 2, wrong (0.9)
        ];
        const labels = [0, 0, 1, 2, 2, 2];
        const all = selectMisclassified(probs, labels, 3, 10);
        expect(all.map((m) => [m.index, m.trueClass, m.predicted])).toEqual([
            [5, 2, 1],
            [1, 0, 1],
            [2, 1, 2],
            [4, 2, 0]
        ]);
        expect(all.map((m) => m.confidence)).toEqual([0.9, 0.8, 0.6, 0.6]);
        expect(selectMisclassified(probs, labels, 3, 2).map((m) => m.index)).toEqual([5, 1]);
        expect(selectMisclassified(probs, labels, 3, 0)).toEqual([]);
    });

    it('the streaming collector picks what sorting the whole split picks, with each image', async () => {
        // 50 samples of 4 classes with pseudo-random probabilities, fed in batches of 7.
        const n = 50;
        const k = 4;
        let s = 12345;
        const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const probs: number[] = [];
        const labels: number[] = [];
        for (let i = 0; i < n; i++) {
            const row = Array.from({ length: k }, () => Math.round(rand() * 8) / 8 + 0.01);
            const sum = row.reduce((a, b) => a + b, 0);
            probs.push(...row.map((v) => v / sum));
            labels.push(i % k);
        }
        // each "image" is 2×2×1 and holds its own index, so the kept pixels can be checked
        const values = Float32Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4));
        const expected = selectMisclassified(probs, labels, k, 5);
        expect(expected.length).toBe(5);
        const c = new MisclassifiedCollector(5);
        let reads = 0;
        for (let start = 0; start < n; start += 7) {
            const end = Math.min(n, start + 7);
            await c.add({
                probs: probs.slice(start * k, end * k),
                labels: labels.slice(start, end),
                classes: k,
                keys: Array.from({ length: end - start }, (_, r) => `img${start + r}.png`),
                shape: [2, 2, 1],
                values: async () => {
                    reads++;
                    return values.slice(start * 4, end * 4);
                }
            });
        }
        const got = c.result();
        expect(got.map((m) => m.index)).toEqual(expected.map((m) => m.index));
        for (const m of got) {
            expect(m.key).toBe(`img${m.index}.png`);
            expect([...m.values]).toEqual([m.index, m.index, m.index, m.index]);
        }
        // pixels are copied only for batches that had a mistake good enough to keep
        expect(reads).toBeLessThanOrEqual(Math.ceil(n / 7));
    });
});

describe('denormalize', () => {
    it.each<[Normalize, 1 | 3]>([
        ['unit', 1],
        ['symmetric', 1],
        ['imagenet', 3],
        ['imagenet', 1],
        ['none', 3]
    ])('inverts %s normalisation (%i channels) to the original pixels', (normalize, channels) => {
        const px = Uint8Array.from({ length: 4 * 4 * channels }, (_, i) => (i * 37) % 256);
        const { scale, offset } = normalizationOf(normalize, channels);
        const values = Float32Array.from(px, (v, i) => v * scale[i % channels] + offset[i % channels]);
        expect([...denormalize(values, normalize, channels)]).toEqual([...px]);
    });
});
