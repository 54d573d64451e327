// The panel's reading of run files through the results contract (src/runtime/runs/contract.ts):
// typed RunResults / SweepRecord values, an older unversioned results.json upgraded, a newer one
// refused, and junk never throwing. Real runs read back are in panel-transfer-results.test.ts.
import { describe, expect, it } from 'vitest';
import { readResultsFile, readSweepFile, resultsView } from '../../../src/extension/runs/results-view.js';
import { lineDiff } from '../../../src/extension/runs/line-diff.js';
import { RESULTS_SCHEMA_VERSION, type RunResults } from '../../../src/runtime/runs/results.js';
import { SWEEP_SCHEMA_VERSION, type SweepRecord } from '../../../src/runtime/sweep/sweep-record.js';
import type { Spread } from '../../../src/runtime/eval/spread.js';

function results(over: Partial<RunResults>): RunResults {
    return {
        schemaVersion: RESULTS_SCHEMA_VERSION, experiment: 'digits_transfer', runId: 'r1', status: 'completed', backend: 'wasm', seed: 1,
        specFile: '/w/a.graft', started: '2026-12-03T00:00:00Z', classes: [['5', '6']], stages: [], metrics: {}, dependencies: [], cacheKey: 'k', skipped: [],
        ...over
    };
}
const spread = (values: number[]): Spread => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    return { mean, std, min: Math.min(...values), max: Math.max(...values), n: values.length, values };
};

describe('resultsView (typed results.json)', () => {
    it('reads metrics, confusion → per-class, baselines, gains with their spread over seeds', () => {
        const r = results({
            metrics: { val: { loss: 0.9, accuracy: 0.7 }, test: { loss: 0.8, accuracy: 0.75, f1_macro: 0.74, auc_macro: null, confusion: [[3, 1], [2, 6]] } },
            baselines: { scratch: { stages: [], metrics: { test: { accuracy: 0.6 } } }, random_features: { stages: [], metrics: { test: { accuracy: 0.5 } } } },
            transferGain: { random_features: { test: { accuracy: 0.25 } }, scratch: { val: { accuracy: 0.05 }, test: { accuracy: 0.15, f1_macro: 0.1 } } },
            seeds: {
                values: [1, 2, 3], runs: [1, 2, 3].map((seed) => ({ seed, runDir: `/r/${seed}`, status: seed === 3 ? 'failed' as const : 'completed' as const })),
                metrics: { test: { accuracy: spread([0.74, 0.76]) } },
                transferGain: { scratch: { test: { accuracy: { ...spread([0.1, 0.2]), significant: true } } } }
            }
        });
        const v = resultsView(r, '/runs/x/1');
        // null (a NaN metric) and the matrix are not scalars of the table
        expect(v.metrics.test).toEqual({ loss: 0.8, accuracy: 0.75, f1_macro: 0.74 });
        expect(v.confusion).toEqual({ labels: ['5', '6'], matrix: [[3, 1], [2, 6]] });
        // class 5: tp 3, predicted 5 → P 0.6, support 4 → R 0.75
        expect(v.perClass?.[0]).toMatchObject({ label: '5', precision: 0.6, recall: 0.75, support: 4 });
        expect(v.perClass?.[1]?.precision).toBeCloseTo(6 / 7, 12);
        expect(v.baselines?.map((b) => [b.kind, b.metrics.test?.accuracy])).toEqual([['scratch', 0.6], ['random_features', 0.5]]);
        // scratch first: it is the transfer gain proper
        expect(v.transferGain).toMatchObject({ metric: 'accuracy', value: 0.15, experiment: 0.75, baseline: 0.6, against: 'scratch', significant: true });
        expect(v.transferGain?.spread?.n).toBe(2);
        expect(v.gains?.map((g) => g.against)).toEqual(['scratch', 'random_features']);
        expect(v.seeds).toEqual({ values: [1, 2, 3], completed: [1, 2], spread: { test: { accuracy: { std: expect.closeTo(0.01414, 4), n: 2 } } } });
    });

    it('puts misclassified thumbnails under the run folder and thresholds with their labels', () => {
        const v = resultsView(results({
            misclassified: [{ split: 'test', image: 'misclassified/test/0.png', source: 'data/5/a.png', trueLabel: '5', predicted: '6', confidence: 0.6 }],
            thresholds: [[0.3, 0.7]]
        }), '/runs/x/1');
        expect(v.misclassified).toEqual([{ image: '/runs/x/1/misclassified/test/0.png', trueLabel: '5', predicted: '6', confidence: 0.6, split: 'test', source: 'data/5/a.png' }]);
        expect(v.thresholds).toEqual([{ head: undefined, values: [0.3, 0.7], labels: ['5', '6'] }]);
    });

    it('shows a failed run\'s error', () => {
        expect(resultsView(results({ status: 'failed', error: { message: 'out of memory' } })).error).toBe('out of memory');
    });
});

describe('readResultsFile (any version on disk)', () => {
    it('upgrades an unversioned results.json with one kind-less baseline and says so', () => {
        const v = readResultsFile({
            experiment: 'e', runId: 'r', status: 'completed', backend: 'cpu', seed: 1, specFile: '/a.graft', started: 't', classes: [['a', 'b']], stages: [],
            metrics: { test: { accuracy: 0.75 } }, baseline: { stages: [], metrics: { test: { accuracy: 0.6 } } }, transferGain: { test: { accuracy: 0.15 } },
            dependencies: [], cacheKey: 'k', skipped: []
        });
        expect(v.error).toBeUndefined();
        expect(v.transferGain).toMatchObject({ value: 0.15, against: 'random_features', baseline: 0.6 });
        expect(v.notes?.[0]).toMatch(/before baselines had kinds/);
    });

    it('refuses a newer version with what to do, and never throws on junk', () => {
        expect(readResultsFile(results({ schemaVersion: 99 as 1 })).error).toMatch(/newer than this Graft reads.*update Graft/);
        for (const junk of [null, 3, 'x', [], { metrics: 'no' }, { experiment: 'e', status: 'completed', metrics: { test: { confusion: [[1, 'a']] } } }]) {
            expect(() => readResultsFile(junk)).not.toThrow();
        }
        expect(readResultsFile('x').error).toMatch(/not a JSON object/);
        expect(readResultsFile({ metrics: {} }).error).toMatch(/no `experiment`, `status`/);
    });
});

describe('readSweepFile', () => {
    it('keeps the runtime\'s ranking and marks the best trial', () => {
        const rec: SweepRecord = {
            schemaVersion: SWEEP_SCHEMA_VERSION, sweep: 's', experiment: 'e', objective: { direction: 'max', monitor: 'val_accuracy' }, status: 'completed', best: 't2', seconds: 3,
            trials: [{ name: 't2', values: { lr: 0.003 }, status: 'completed', objective: 0.8, rank: 1 }, { name: 't1', values: { lr: 0.01 }, status: 'completed', objective: 0.7, rank: 2 }, { name: 't3', values: { lr: 0.1 }, status: 'failed', error: 'nan loss' }]
        };
        const v = readSweepFile(rec);
        expect(v.sweep?.trials.map((t) => [t.name, t.value, t.best])).toEqual([['t2', 0.8, true], ['t1', 0.7, false], ['t3', undefined, false]]);
        expect(readSweepFile({ trials: 'x' }).error).toMatch(/not a Graft sweep table/);
    });
});

describe('lineDiff', () => {
    it('marks changed lines between two specs', () => {
        const d = lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n');
        expect(d.map((l) => `${l.kind[0]}${l.text}`)).toEqual(['sa', 'rb', 'aB', 'sc', 'ad']);
        expect(lineDiff('x', 'x').every((l) => l.kind === 'same')).toBe(true);
    });
});

