// The metric registry is the one place a metric is described: every entry parses as the spec
// writes it (the grammar's `Metric` rule is generated from it), is computed by the runtime under
// the key the monitors accept, has hover text, and is checked by the validator (averaging, its
// number, the tasks it is defined for, duplicates). A new entry is covered without editing these tests.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
    AVERAGINGS, defaultMetric, METRIC_KINDS, METRICS, metricInfo, metricKey, metricPlan, metricSyntax, metricText, monitorMetric, type MetricKind
} from '../../src/core/metrics.js';
import { keywordDoc } from '../../src/language/lsp/keyword-docs.js';
import { parseMonitor } from '../../src/language/validation/monitors.js';
import { computeMetrics, METRIC_COMPUTATIONS, type Predictions } from '../../src/runtime/eval/metrics.js';
import { createFixture, removeFixture, spec, tagsSpec, validate } from '../language/validation-fixture.js';

/** 4 images, 3 classes; argmax is right for 3 of them (image 2, class 2, is predicted 1). */
const SINGLE: Predictions = {
    task: 'single_label',
    classes: 3,
    probs: [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.1, 0.5, 0.4, 0.3, 0.6, 0.1],
    labels: [0, 1, 2, 1]
};
/** 3 images, 2 tags. */
const MULTI: Predictions = { task: 'multi_label', classes: 2, probs: [0.9, 0.2, 0.4, 0.7, 0.6, 0.1], labels: [1, 0, 1, 1, 0, 0] };

/** The entry as a spec writes it, with k = 2 and macro averaging where it takes them. */
const planFor = (kind: MetricKind) => metricPlan(kind, { k: 2, average: 'macro' });

describe('the metric registry', () => {
    test('plans: a bare averaged metric is macro, a numbered one keeps its number, and the defaults per task', () => {
        expect(metricPlan('f1', {})).toEqual({ kind: 'f1', average: 'macro' });
        expect(metricPlan('precision', { average: 'micro' })).toEqual({ kind: 'precision', average: 'micro' });
        expect(metricPlan('top', { k: 3 })).toEqual({ kind: 'top', k: 3 });
        expect(metricPlan('accuracy', { k: 3, average: 'micro' })).toEqual({ kind: 'accuracy' });
        expect(defaultMetric('single_label')).toEqual({ kind: 'accuracy' });
        expect(defaultMetric('multi_label')).toEqual({ kind: 'map' });
        expect(metricKey({ kind: 'top', k: 2 })).toBe('top_2');
        expect(metricKey({ kind: 'f1', average: 'micro' })).toBe('f1_micro');
        expect(metricText({ kind: 'f1', average: 'micro' })).toBe('f1 micro');
    });

    test.each(METRIC_KINDS)('%s: hover text, the `metrics` syntax, and a computation', (kind) => {
        expect(keywordDoc(kind, undefined)).toContain(METRICS[kind].doc);
        expect(keywordDoc('metrics', undefined)).toContain(kind);
        expect(metricSyntax()).toContain(kind);
        expect(METRIC_COMPUTATIONS[kind]).toBeTypeOf('function');
    });

    test.each(METRIC_KINDS)('%s: computed under its key for the tasks it is defined for, left out for the others', (kind) => {
        const info = metricInfo(kind);
        for (const p of [SINGLE, MULTI]) {
            const values = computeMetrics(p, [planFor(kind)]);
            const key = metricKey(planFor(kind));
            if (!info.tasks.includes(p.task)) {
                expect(values).toEqual({});
                continue;
            }
            const value = values[key];
            if (info.value === 'scalar') {
                expect(value).toBeTypeOf('number');
                expect(value as number).toBeGreaterThanOrEqual(0);
                expect(value as number).toBeLessThanOrEqual(1);
            } else {
                expect(value).toHaveLength(p.classes);
            }
        }
    });

    test('hand-computed values', () => {
        const v = computeMetrics(SINGLE, [planFor('accuracy'), planFor('top'), planFor('confusion'), metricPlan('recall', { average: 'micro' })]);
        expect(v.accuracy).toBe(0.75);
        expect(v.top_2).toBe(1);
        expect(v.confusion).toEqual([[1, 0, 0], [0, 2, 0], [0, 1, 0]]);
        expect(v.recall_micro).toBe(0.75);
        // Multi-label accuracy is per decision: 4 of the 6 tag decisions at 0.5 are right.
        expect(computeMetrics(MULTI, [planFor('accuracy')]).accuracy).toBeCloseTo(4 / 6);
    });

    test.each(METRIC_KINDS.filter((k) => metricInfo(k).value === 'scalar'))('%s: the monitors accept its key (val_<key>) and its bare name where it has no number', (kind) => {
        expect(monitorMetric(metricKey(planFor(kind)))).toBe(kind);
        expect(parseMonitor(`val_${metricKey(planFor(kind))}`).ok).toBe(true);
        if (!metricInfo(kind).param) expect(parseMonitor(`val_${kind}`).ok).toBe(true);
        else expect(monitorMetric(kind)).toBeUndefined();
    });

    test('monitors refuse a matrix, an unknown metric and a wrong suffix, and list the spellings', () => {
        expect(monitorMetric('confusion')).toBeUndefined();
        expect(monitorMetric('accuracy_macro')).toBeUndefined();
        expect(monitorMetric('top_0')).toBeUndefined();
        const refused = parseMonitor('val_not_a_metric');
        expect(refused.ok).toBe(false);
        if (!refused.ok) for (const kind of METRIC_KINDS.filter((k) => metricInfo(k).value === 'scalar')) expect(refused.reason).toContain(`val_${kind}`);
    });
});

describe('the validator reads the metric registry', () => {
    let root: string;
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    const withMetrics = (line: string) => spec(['  optimizer adam lr 1e-3', `  optimizer adam lr 1e-3\n  ${line}`]);
    const errors = async (text: string) => (await validate(root, text)).diagnostics.filter((d) => d.severity === 1).map((d) => d.message);

    test('every entry, with its number and each averaging it takes, parses and validates on single-label data', async () => {
        const entries = METRIC_KINDS.filter((k) => metricInfo(k).tasks.includes('single_label')).flatMap((kind) => {
            const info = metricInfo(kind);
            const base = info.param ? `${kind} 2` : kind;
            return info.averaged ? AVERAGINGS.map((a) => `${base} ${a}`) : [base];
        });
        expect(await errors(withMetrics(`metrics ${entries.join(', ')}`))).toEqual([]);
    });

    test('averaging on a metric that has none is an error naming those that have it', async () => {
        const averaged = METRIC_KINDS.filter((k) => metricInfo(k).averaged);
        const message = (await errors(withMetrics('metrics accuracy macro')))[0];
        expect(message).toMatch(/^`macro` averaging belongs to .* not accuracy$/);
        for (const kind of averaged) expect(message).toContain(kind);
    });

    test('`f1` and `f1 macro` are the same metric, listed twice', async () => {
        expect(await errors(withMetrics('metrics f1, f1 macro'))).toEqual(['metric `f1 macro` is listed twice']);
        expect(await errors(withMetrics('metrics f1 micro, f1 macro'))).toEqual([]);
    });

    test('a number above the class count is an error; zero is not a whole positive number', async () => {
        expect(await errors(withMetrics('metrics top 4'))).toEqual(['top 4 needs at least 4 classes; the data has 3']);
        expect(await errors(withMetrics('metrics top 0'))).toEqual(['top k needs a positive whole number, not 0']);
    });

    test('a metric defined for single-label data only warns on multi-label data', async () => {
        const tags = tagsSpec('sigmoid', '  metrics map, top 1, confusion\n');
        const diagnostics = (await validate(root, tags)).diagnostics;
        const warnings = diagnostics.filter((d) => d.severity === 2).map((d) => d.message);
        expect(warnings).toEqual([
            'top is defined for single-label data only, so it is not computed for this multi-label experiment; remove it',
            'confusion is defined for single-label data only, so it is not computed for this multi-label experiment; remove it'
        ]);
        expect(diagnostics.filter((d) => d.severity === 1)).toEqual([]);
    });
});
