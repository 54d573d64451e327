// Classification metrics on plain arrays (predictions already pulled off the device), so they are
// exact, backend-independent and testable against hand-computed confusion matrices.
// Single-label: rows of class probabilities + integer labels. Multi-label: rows of per-class
// probabilities + 0/1 targets, decided by a threshold (global or per class).

import type { MetricPlan, Task } from '../../core/plan/types.js';
import { metricKey, type MetricKind } from '../../core/metrics.js';

export interface Predictions {
    task: Task;
    classes: number;
    /** Row-major [n, classes] probabilities. */
    probs: Float32Array | number[];
    /** Single-label: class index per sample. Multi-label: row-major [n, classes] 0/1. */
    labels: Int32Array | number[];
}

export type MetricValue = number | number[][];
export type MetricValues = Record<string, MetricValue>;

export function rows(p: Predictions): number {
    return p.task === 'single_label' ? p.labels.length : Math.floor(p.labels.length / p.classes);
}

function argmax(values: ArrayLike<number>, offset: number, n: number): number {
    let best = 0;
    for (let j = 1; j < n; j++) if (values[offset + j] > values[offset + best]) best = j;
    return best;
}

/** confusion[true][predicted] for single-label predictions (argmax). */
export function confusionMatrix(p: Predictions): number[][] {
    const m = Array.from({ length: p.classes }, () => new Array<number>(p.classes).fill(0));
    for (let i = 0; i < rows(p); i++) m[p.labels[i]][argmax(p.probs, i * p.classes, p.classes)]++;
    return m;
}

export interface Counts {
    tp: number[];
    fp: number[];
    fn: number[];
}

export function countsFromConfusion(m: number[][]): Counts {
    const c = m.length;
    const tp = m.map((row, i) => row[i]);
    const fp = Array.from({ length: c }, (_, j) => m.reduce((s, row, i) => s + (i === j ? 0 : row[j]), 0));
    const fn = m.map((row, i) => row.reduce((s, v, j) => s + (i === j ? 0 : v), 0));
    return { tp, fp, fn };
}

/** Per-class counts for multi-label predictions with a threshold per class. */
export function multiLabelCounts(p: Predictions, thresholds: number[]): Counts {
    const tp = new Array<number>(p.classes).fill(0);
    const fp = [...tp];
    const fn = [...tp];
    for (let i = 0; i < rows(p); i++) {
        for (let c = 0; c < p.classes; c++) {
            const k = i * p.classes + c;
            const predicted = p.probs[k] >= thresholds[c];
            const actual = p.labels[k] > 0.5;
            if (predicted && actual) tp[c]++;
            else if (predicted) fp[c]++;
            else if (actual) fn[c]++;
        }
    }
    return { tp, fp, fn };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]): number => (xs.length ? sum(xs) / xs.length : 0);

/** Precision, recall and F1, macro (mean of per-class values; 0 where undefined, as scikit-learn's zero_division=0) or micro (pooled counts). */
export function prf(counts: Counts, average: 'macro' | 'micro'): { precision: number; recall: number; f1: number } {
    const { tp, fp, fn } = counts;
    if (average === 'micro') {
        const precision = ratio(sum(tp), sum(tp) + sum(fp));
        const recall = ratio(sum(tp), sum(tp) + sum(fn));
        return { precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
    }
    const precisions = tp.map((t, c) => ratio(t, t + fp[c]));
    const recalls = tp.map((t, c) => ratio(t, t + fn[c]));
    const f1s = precisions.map((p, c) => ratio(2 * p * recalls[c], p + recalls[c]));
    return { precision: mean(precisions), recall: mean(recalls), f1: mean(f1s) };
}

/** Fraction of samples whose true class is among the k highest scores. */
export function topK(p: Predictions, k: number): number {
    const n = rows(p);
    let hits = 0;
    for (let i = 0; i < n; i++) {
        const truth = p.probs[i * p.classes + p.labels[i]];
        // Rank = number of classes with a strictly higher score; ties count in the sample's favour.
        let higher = 0;
        for (let c = 0; c < p.classes; c++) if (p.probs[i * p.classes + c] > truth) higher++;
        if (higher < k) hits++;
    }
    return ratio(hits, n);
}

/** Binary ROC AUC by the rank-sum (Mann–Whitney) formula with tied scores averaged; NaN when a class is absent or universal. */
export function binaryAuc(scores: number[], positives: boolean[]): number {
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
    const ranks = new Array<number>(scores.length);
    for (let i = 0; i < order.length; ) {
        let j = i;
        while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
        for (let k = i; k <= j; k++) ranks[order[k][1]] = (i + j) / 2 + 1;
        i = j + 1;
    }
    const nPos = positives.filter(Boolean).length;
    const nNeg = positives.length - nPos;
    if (nPos === 0 || nNeg === 0) return NaN;
    const rankSum = sum(ranks.filter((_, i) => positives[i]));
    return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Average precision: Σ (R_k − R_{k−1}) · P_k over the ranking (scikit-learn's definition); NaN without positives. */
export function averagePrecision(scores: number[], positives: boolean[]): number {
    const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
    const nPos = positives.filter(Boolean).length;
    if (nPos === 0) return NaN;
    let tp = 0;
    let fp = 0;
    let ap = 0;
    let prevRecall = 0;
    for (let k = 0; k < order.length; k++) {
        if (positives[order[k]]) tp++;
        else fp++;
        // Evaluate only at the end of a run of tied scores, so ties are one threshold.
        if (k + 1 < order.length && scores[order[k + 1]] === scores[order[k]]) continue;
        const recall = tp / nPos;
        ap += (recall - prevRecall) * (tp / (tp + fp));
        prevRecall = recall;
    }
    return ap;
}

function columns(p: Predictions): { scores: number[]; positives: boolean[] }[] {
    const n = rows(p);
    return Array.from({ length: p.classes }, (_, c) => {
        const scores: number[] = [];
        const positives: boolean[] = [];
        for (let i = 0; i < n; i++) {
            scores.push(p.probs[i * p.classes + c]);
            positives.push(p.task === 'single_label' ? p.labels[i] === c : p.labels[i * p.classes + c] > 0.5);
        }
        return { scores, positives };
    });
}

/** Mean over classes, skipping classes where the value is undefined (NaN). */
function nanMean(xs: number[]): number {
    const ok = xs.filter((x) => !Number.isNaN(x));
    return ok.length ? mean(ok) : NaN;
}

export function macroAuc(p: Predictions): number {
    return nanMean(columns(p).map((c) => binaryAuc(c.scores, c.positives)));
}

export function meanAveragePrecision(p: Predictions): number {
    return nanMean(columns(p).map((c) => averagePrecision(c.scores, c.positives)));
}

/** What every metric's computation reads: the predictions and the counts shared between them. */
interface MetricInputs {
    p: Predictions;
    n: number;
    /** Single-label only. */
    confusion?: number[][];
    counts: Counts;
}

type Computation<K extends MetricKind> = (m: Extract<MetricPlan, { kind: K }>, x: MetricInputs) => MetricValue | undefined;

/**
 * How each registry entry (src/core/metrics.ts) is computed; typed by the registry, so a metric
 * added there without a computation here does not compile. Undefined = not defined for the
 * task (the validator warns about it), so the key is left out.
 */
export const METRIC_COMPUTATIONS: { [K in MetricKind]: Computation<K> } = {
    // Multi-label accuracy is per-label (binary) accuracy, as Keras' binary_accuracy.
    accuracy: (_, { p, n, confusion, counts }) =>
        confusion ? ratio(sum(counts.tp), n) : ratio(n * p.classes - sum(counts.fp) - sum(counts.fn), n * p.classes),
    top: (m, { p, confusion }) => (confusion ? topK(p, m.k) : undefined),
    precision: (m, { counts }) => prf(counts, m.average).precision,
    recall: (m, { counts }) => prf(counts, m.average).recall,
    f1: (m, { counts }) => prf(counts, m.average).f1,
    auc: (_, { p }) => macroAuc(p),
    map: (_, { p }) => meanAveragePrecision(p),
    confusion: (_, { confusion }) => confusion
};

function compute(m: MetricPlan, x: MetricInputs): MetricValue | undefined {
    return (METRIC_COMPUTATIONS[m.kind] as Computation<MetricKind>)(m as never, x);
}

/**
 * Computes the requested metrics, each under its registry key (`top_2`, `f1_macro`).
 * Multi-label decisions use `thresholds` (one per class; default 0.5).
 */
export function computeMetrics(p: Predictions, metrics: MetricPlan[], thresholds?: number[]): MetricValues {
    const out: MetricValues = {};
    const confusion = p.task === 'single_label' ? confusionMatrix(p) : undefined;
    const counts = confusion ? countsFromConfusion(confusion) : multiLabelCounts(p, thresholds ?? new Array(p.classes).fill(0.5));
    const inputs: MetricInputs = { p, n: rows(p), confusion, counts };
    for (const m of metrics) {
        const value = compute(m, inputs);
        if (value !== undefined) out[metricKey(m)] = value;
    }
    return out;
}

/** Only the scalar metrics (for epoch events and monitors); a stored null (NaN in results.json) is left out. */
export function scalarMetrics(values: Record<string, MetricValue | null>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'number') out[k] = v;
    return out;
}
