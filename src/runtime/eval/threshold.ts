// `threshold tuned`: the multi-label decision threshold that maximises F1 on the validation split,
// either one global threshold (micro F1 over all labels) or one per class (each class's own F1).
// Candidates are a fixed grid, so the result is deterministic and independent of score ties.

import { multiLabelCounts, prf, rows, type Predictions } from './metrics.js';

export const THRESHOLD_GRID: readonly number[] = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

function classF1(p: Predictions, c: number, t: number): number {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < rows(p); i++) {
        const k = i * p.classes + c;
        const pred = p.probs[k] >= t;
        const actual = p.labels[k] > 0.5;
        if (pred && actual) tp++;
        else if (pred) fp++;
        else if (actual) fn++;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Returns one threshold per class. Ties go to the threshold closest to 0.5, then the lower one. */
export function tuneThresholds(p: Predictions, perClass: boolean): number[] {
    const better = (f: number, t: number, bestF: number, bestT: number): boolean =>
        f > bestF + 1e-12 || (Math.abs(f - bestF) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(bestT - 0.5));
    if (perClass) {
        return Array.from({ length: p.classes }, (_, c) => {
            let bestT = 0.5;
            let bestF = -1;
            for (const t of THRESHOLD_GRID) {
                const f = classF1(p, c, t);
                if (better(f, t, bestF, bestT)) [bestF, bestT] = [f, t];
            }
            return bestT;
        });
    }
    let bestT = 0.5;
    let bestF = -1;
    for (const t of THRESHOLD_GRID) {
        const f = prf(multiLabelCounts(p, new Array(p.classes).fill(t)), 'micro').f1;
        if (better(f, t, bestF, bestT)) [bestF, bestT] = [f, t];
    }
    return new Array<number>(p.classes).fill(bestT);
}
