import { describe, expect, it } from 'vitest';
import { readResults } from '../../../src/extension/runs/results-view.js';
import { lineDiff } from '../../../src/extension/runs/line-diff.js';

describe('readResults', () => {
    it('reads the core results.json shape and computes what it needs', () => {
        const v = readResults({
            experiment: 'digits_transfer', status: 'completed', backend: 'wasm', seed: 1,
            classes: ['5', '6', '7'],
            metrics: {
                test: { accuracy: 0.75, f1_macro: 0.74, confusion: [[8, 1, 1], [0, 9, 1], [2, 0, 8]], perClass: { '5': { precision: 0.8, recall: 0.8, f1: 0.8, support: 10 }, '6': { precision: 0.9, recall: 0.9 }, '7': { precision: 0.8, recall: 0.8, f1: 0.8 } } },
                val: { accuracy: 0.7, loss: 0.8 }
            },
            baseline: { metrics: { test: { accuracy: 0.6 } } },
            transferGain: 0.15,
            misclassified: [{ image: 'misclassified/0.png', true: 0, predicted: 2, confidence: 0.6 }]
        }, '/runs/x/1');
        expect(v.metrics.test).toEqual({ accuracy: 0.75, f1_macro: 0.74 });
        expect(v.metrics.val).toEqual({ accuracy: 0.7, loss: 0.8 });
        expect(v.confusion).toEqual({ labels: ['5', '6', '7'], matrix: [[8, 1, 1], [0, 9, 1], [2, 0, 8]] });
        expect(v.perClass?.map((r) => [r.label, r.f1])).toEqual([['5', 0.8], ['6', expect.closeTo(0.9, 10)], ['7', 0.8]]);
        expect(v.transferGain).toEqual({ metric: 'accuracy', value: 0.15, experiment: 0.75, baseline: 0.6, against: 'legacy' });
        expect(v.misclassified).toEqual([{ image: '/runs/x/1/misclassified/0.png', trueLabel: '5', predicted: '7', confidence: 0.6 }]);
    });

    it('computes a negative gain from both sides when none is recorded', () => {
        const v = readResults({ metrics: { test: { accuracy: 0.5 } }, baseline: { test: { accuracy: 0.6 } } });
        expect(v.transferGain?.value).toBeCloseTo(-0.1, 12);
    });

    it('reads episodes, heads and sweeps', () => {
        const v = readResults({
            metrics: { episodes: { accuracy: 0.62, ci95: 0.013, episodes: 200, way: 5, shot: 1, query: 15 } },
            heads: { species: { metrics: { test: { accuracy: 0.9 } } }, color: { metrics: { test: { map: 0.4 } } } },
            objective: { direction: 'max', monitor: 'val_accuracy' },
            trials: [{ params: { lr: 0.01, batch: 8 }, value: 0.7 }, { params: { lr: 0.003, batch: 8 }, value: 0.8, status: 'completed' }]
        });
        expect(v.episodes).toMatchObject({ accuracy: 0.62, ci95: 0.013, way: 5, shot: 1 });
        expect(v.heads?.map((h) => [h.name, h.metrics])).toEqual([['species', { accuracy: 0.9 }], ['color', { map: 0.4 }]]);
        // Unranked trials are put in objective order, best first.
        expect(v.sweep?.trials.map((t) => [t.value, t.best])).toEqual([[0.8, true], [0.7, false]]);
    });

    it('never throws on junk', () => {
        for (const junk of [null, 3, 'x', [], { metrics: 'no' }, { metrics: { test: { confusion: [[1, 'a']] } }, heads: [1, 2], trials: {} }]) {
            expect(() => readResults(junk)).not.toThrow();
        }
        expect(readResults('x').error).toMatch(/not a JSON object/);
    });
});

describe('lineDiff', () => {
    it('marks changed lines between two specs', () => {
        const d = lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n');
        expect(d.map((l) => `${l.kind[0]}${l.text}`)).toEqual(['sa', 'rb', 'aB', 'sc', 'ad']);
        expect(lineDiff('x', 'x').every((l) => l.kind === 'same')).toBe(true);
    });
});

describe('readResults on the runtime results.json shape', () => {
    it('uses per-head class lists, nested transfer gains, and derives per-class P/R/F1 from the confusion matrix', () => {
        const v = readResults({
            experiment: 'digits_transfer', runId: 'r', status: 'completed', backend: 'wasm', seed: 1, specFile: '/a.graft', started: 't',
            classes: [['5', '6']],
            stages: [],
            metrics: { val: { loss: 0.9, accuracy: 0.7 }, test: { loss: 0.8, accuracy: 0.75, f1_macro: 0.74, confusion: [[3, 1], [2, 6]] } },
            baseline: { stages: [], metrics: { test: { loss: 1.2, accuracy: 0.6 } } },
            transferGain: { val: { accuracy: 0.05 }, test: { accuracy: 0.15, f1_macro: 0.1 } },
            dependencies: [], cacheKey: 'k', skipped: []
        });
        expect(v.transferGain).toEqual({ metric: 'accuracy', value: 0.15, experiment: 0.75, baseline: 0.6, against: 'legacy' });
        expect(v.confusion?.labels).toEqual(['5', '6']);
        // class 5: tp 3, predicted 5 → P 0.6, support 4 → R 0.75; class 6: tp 6, predicted 7, support 8
        expect(v.perClass?.[0]).toMatchObject({ label: '5', precision: 0.6, recall: 0.75, support: 4 });
        expect(v.perClass?.[1]?.precision).toBeCloseTo(6 / 7, 12);
        expect(v.perClass?.[0]?.f1).toBeCloseTo((2 * 0.6 * 0.75) / 1.35, 12);
    });

    it('splits a multi-task run into heads by the plan\'s head names', () => {
        const v = readResults({ classes: [['a', 'b'], ['x', 'y']], metrics: { test: { loss: 1, species_accuracy: 0.9, species_confusion: [[1, 0], [0, 1]], color_map: 0.4 } } }, undefined, undefined, ['species', 'color']);
        expect(v.heads?.map((h) => [h.name, h.metrics])).toEqual([['species', { accuracy: 0.9 }], ['color', { map: 0.4 }]]);
        expect(v.heads?.[0]?.confusion?.labels).toEqual(['a', 'b']);
    });
});
