// Mean ± spread over seeds and the significance rule, against values worked out by hand.
import { describe, expect, test } from 'vitest';
import { formatSpread, gainSpreadOf, spreadOf, spreadTable } from '../../src/runtime/eval/spread.js';

describe('spread over seeds', () => {
    test('sample standard deviation (n − 1)', () => {
        // mean 0.8; squared deviations 0.0004 + 0 + 0.0004 = 0.0008; / 2 = 0.0004; sqrt = 0.02
        const s = spreadOf([0.78, 0.8, 0.82]);
        expect(s.mean).toBeCloseTo(0.8, 12);
        expect(s.std).toBeCloseTo(0.02, 12);
        expect(s).toMatchObject({ min: 0.78, max: 0.82, n: 3, values: [0.78, 0.8, 0.82] });
    });

    test('one seed has no spread and no verdict on significance', () => {
        const g = gainSpreadOf([0.1]);
        expect(g.std).toBe(0);
        expect(g.significant).toBeUndefined();
    });

    test('a gain smaller than its spread is not significant; a larger one is', () => {
        // gains 0.05, -0.03, 0.04: mean 0.02, std sqrt(((0.03)^2 + (0.05)^2 + (0.02)^2) / 2) = sqrt(0.0019) ≈ 0.0436
        const weak = gainSpreadOf([0.05, -0.03, 0.04]);
        expect(weak.mean).toBeCloseTo(0.02, 12);
        expect(weak.std).toBeCloseTo(Math.sqrt(0.0019), 12);
        expect(weak.significant).toBe(false);
        const strong = gainSpreadOf([-0.12, -0.14, -0.13]);
        expect(strong.significant).toBe(true);
        expect(strong.mean).toBeLessThan(0);
    });

    test('tables: per split and metric; a metric a seed lacks is left out of that metric only', () => {
        const t = spreadTable(
            [
                { test: { accuracy: 0.7, f1: 0.6 } },
                { test: { accuracy: 0.8, f1: Number.NaN } },
                { test: { accuracy: 0.9 }, val: { accuracy: 0.5 } }
            ],
            spreadOf
        );
        expect(t.test.accuracy.mean).toBeCloseTo(0.8, 12);
        expect(t.test.accuracy.n).toBe(3);
        expect(t.test.f1).toMatchObject({ mean: 0.6, n: 1 });
        expect(t.val.accuracy).toMatchObject({ mean: 0.5, n: 1 });
    });

    test('formatting', () => {
        expect(formatSpread(spreadOf([0.78, 0.8, 0.82]))).toBe('0.8000 ± 0.0200');
        expect(formatSpread(spreadOf([0.05]), 4, true)).toBe('+0.0500');
        expect(formatSpread(spreadOf([-0.1, -0.3]), 2, true)).toBe('-0.20 ± 0.14');
    });
});
