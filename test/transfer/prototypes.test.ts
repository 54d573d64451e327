// Prototype classification on hand-made features, and the episode sampler.
import { describe, expect, it } from 'vitest';
import { classifyByPrototypes, computePrototypes, featureMatrix } from '../../src/runtime/transfer/prototypes.js';
import { EpisodeError, episodeAccuracy, evaluateEpisodes, meanAndCi, sampleEpisodes } from '../../src/runtime/transfer/episodes.js';

describe('prototypes', () => {
    it('are the class means of the support samples', () => {
        const f = featureMatrix([[1, 0], [3, 2], [0, 4], [0, 6], [9, 9]]);
        const p = computePrototypes(f, [0, 0, 1, 1, 1], [0, 1, 2, 3], 2);
        expect(Array.from(p[0])).toEqual([2, 1]);
        expect(Array.from(p[1])).toEqual([0, 5]);
    });
    it('euclidean and cosine can disagree, each as defined', () => {
        // prototypes [10,0] and [1,1]; query [2,0.2]: squared distances 64.04 vs 1.64 → class 1;
        // cosine 0.995 vs 0.774 → class 0.
        const protos = [[10, 0], [1, 1]];
        const q = featureMatrix([[2, 0.2]]);
        expect(classifyByPrototypes(protos, q, [0], 'euclidean')).toEqual([1]);
        expect(classifyByPrototypes(protos, q, [0], 'cosine')).toEqual([0]);
    });
    it('classify separable clusters correctly', () => {
        const f = featureMatrix([[1, 0.1], [0.9, -0.1], [0.1, 1], [-0.1, 0.8], [0.8, 0.05], [0.05, 1.2]]);
        const p = computePrototypes(f, [0, 0, 1, 1], [0, 1, 2, 3], 2);
        expect(classifyByPrototypes(p, f, [4, 5], 'euclidean')).toEqual([0, 1]);
        expect(classifyByPrototypes(p, f, [4, 5], 'cosine')).toEqual([0, 1]);
    });
    it('need a support sample for every class', () => {
        const f = featureMatrix([[1], [2]]);
        expect(() => computePrototypes(f, [0, 0], [0, 1], 2)).toThrow(/class 1 has no support sample/);
    });
});

/** A pool: class c has sizes[c] samples; labels in class-major order. */
function pool(sizes: number[]): number[] {
    return sizes.flatMap((n, c) => new Array<number>(n).fill(c));
}

describe('episode sampler', () => {
    const labels = pool([6, 6, 6, 3]);
    const spec = { episodes: 40, way: 3, shot: 2, query: 2 };

    it('draws W classes, K support and Q query per class, disjoint', () => {
        for (const e of sampleEpisodes(labels, spec, 3)) {
            expect(new Set(e.classes).size).toBe(3);
            expect(e.support).toHaveLength(6);
            expect(e.query).toHaveLength(6);
            const support = new Set(e.support);
            expect(e.query.some((i) => support.has(i))).toBe(false);
            expect(new Set([...e.support, ...e.query]).size).toBe(12);
            e.classes.forEach((c, k) => {
                expect(e.support.slice(k * 2, k * 2 + 2).every((i) => labels[i] === c)).toBe(true);
                expect(e.query.slice(k * 2, k * 2 + 2).every((i) => labels[i] === c)).toBe(true);
            });
        }
    });
    it('skips classes with fewer than K+Q images', () => {
        // class 3 has 3 < 4 images
        expect(sampleEpisodes(labels, spec, 3).every((e) => !e.classes.includes(3))).toBe(true);
    });
    it('uses every eligible class over many episodes', () => {
        const seen = new Set(sampleEpisodes(pool([5, 5, 5, 5, 5]), { episodes: 30, way: 2, shot: 1, query: 1 }, 1).flatMap((e) => e.classes));
        expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    });
    it('is deterministic for a seed, and episode e does not depend on how many are drawn', () => {
        const a = sampleEpisodes(labels, spec, 9);
        expect(sampleEpisodes(labels, spec, 9)).toEqual(a);
        expect(sampleEpisodes(labels, { ...spec, episodes: 5 }, 9)).toEqual(a.slice(0, 5));
        expect(sampleEpisodes(labels, spec, 10)).not.toEqual(a);
    });
    it('says what is missing when too few classes are big enough', () => {
        expect(() => sampleEpisodes(labels, { ...spec, way: 4 }, 1, ['a', 'b', 'c', 'd'])).toThrow(EpisodeError);
        expect(() => sampleEpisodes(labels, { ...spec, way: 4 }, 1, ['a', 'b', 'c', 'd'])).toThrow(/only 3 have that many \(a: 6, b: 6, c: 6, d: 3\)/);
        expect(() => sampleEpisodes(labels, { ...spec, way: 1 }, 1)).toThrow(/at least 2/);
    });
});

describe('evaluateEpisodes', () => {
    it('mean and 95% CI are 1.96·s/√N with the sample standard deviation', () => {
        // [1, 0.5, 0]: mean 0.5, s = 0.5, CI = 1.96·0.5/√3
        const r = meanAndCi([1, 0.5, 0]);
        expect(r.mean).toBe(0.5);
        expect(r.std).toBeCloseTo(0.5, 12);
        expect(r.ci95).toBeCloseTo(0.5658032, 6);
    });
    it('separable classes give accuracy 1 with a zero-width interval', () => {
        const labels = pool([5, 5, 5]);
        const f = featureMatrix(labels.map((c, i) => [c === 0 ? 10 : 0, c === 1 ? 10 : 0, c === 2 ? 10 : 0].map((v) => v + (i % 3) * 0.1)));
        const r = evaluateEpisodes(f, labels, { episodes: 20, way: 3, shot: 1, query: 2 }, { distance: 'cosine', seed: 1 });
        expect(r.accuracy).toBe(1);
        expect(r.ci95).toBe(0);
        expect(r.accuracies).toHaveLength(20);
    });
    it('an episode counts the queries its prototypes get right', () => {
        // Class 0 near 0, class 1 near 10, but one class-1 query sits at 1 (wrong).
        const labels = [0, 0, 1, 1, 1];
        const f = featureMatrix([[0], [0.5], [10], [9], [1]]);
        const acc = episodeAccuracy(f, labels, { classes: [1, 0], support: [2, 0], query: [3, 4, 1] }, 'euclidean');
        expect(acc).toBeCloseTo(2 / 3, 12);
    });
    it('noisy features give a mean within [0, 1] and a positive CI', () => {
        const labels = pool([8, 8, 8, 8]);
        let s = 7;
        const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5;
        const f = featureMatrix(labels.map((c) => [c + rand() * 3, -c + rand() * 3]));
        const r = evaluateEpisodes(f, labels, { episodes: 50, way: 4, shot: 1, query: 3 }, { distance: 'euclidean', seed: 2 });
        expect(r.accuracy).toBeGreaterThan(0.25);
        expect(r.accuracy).toBeLessThan(1);
        expect(r.ci95).toBeGreaterThan(0);
        expect(r.ci95).toBeCloseTo((1.96 * r.std) / Math.sqrt(50), 12);
    });
});
