// predictions.json: the trained model's output for every image of each evaluated split (test,
// `evaluate on <dataset>`), so that a result can be audited image by image, and so that an
// exported model can be checked against the run that made it (`graft predict` on the same files
// must give the same probabilities). Written by the runner for the experiment's own model only.

import { join } from 'node:path';
import type { Task } from '../../core/plan/types.js';
import type { EvalResult } from '../eval/evaluate.js';
import { writeFileAtomic } from './files.js';

export const PREDICTIONS_FILE = 'predictions.json';
export const PREDICTIONS_VERSION = 1;

export interface OutputPredictions {
    head: string;
    task: Task;
    classes: string[];
    /** One row per image: the probability of each class (softmax, or per-class sigmoid). */
    probabilities: number[][];
    /** Single-label: the true class index per image. Multi-label: the indices of the true classes. */
    truth: number[] | number[][];
    /** Single-label: the predicted class index (argmax). Multi-label: the classes at or above their threshold. */
    predicted: number[] | number[][];
    /** Multi-label: the thresholds used for `predicted`. */
    thresholds?: number[];
}

export interface SplitPredictions {
    /** Sample keys (relative to the dataset's root), in the order of the rows. */
    keys: string[];
    /** The same images for people: files relative to the spec, or `mnist/<digit>#<n>`. */
    sources?: string[];
    outputs: OutputPredictions[];
}

export interface RunPredictions {
    format: 'graft-predictions';
    version: typeof PREDICTIONS_VERSION;
    experiment: string;
    runId: string;
    /** Per evaluated split (`test`, or an evaluation dataset's name). */
    splits: Record<string, SplitPredictions>;
}

const argmax = (row: ArrayLike<number>): number => {
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    return best;
};

/** The rows of one split's evaluation, or undefined when its feed gave no sample keys. */
export function splitPredictions(result: EvalResult, classes: string[][], thresholds: (number[] | undefined)[] | undefined, source?: (key: string) => string): SplitPredictions | undefined {
    const keys = result.keys;
    if (!keys) return undefined;
    const outputs = result.heads.map((h, i): OutputPredictions => {
        const k = h.predictions.classes;
        const rows: number[][] = [];
        for (let r = 0; r < keys.length; r++) rows.push(Array.from(h.predictions.probs.slice(r * k, (r + 1) * k)));
        if (h.predictions.task === 'single_label') {
            return { head: h.head.name, task: 'single_label', classes: classes[i], probabilities: rows, truth: Array.from(h.predictions.labels), predicted: rows.map(argmax) };
        }
        const t = thresholds?.[i] ?? new Array<number>(k).fill(0.5);
        const truth = rows.map((_, r) => Array.from(h.predictions.labels.slice(r * k, (r + 1) * k)).flatMap((v, j) => (v > 0.5 ? [j] : [])));
        const predicted = rows.map((row) => row.flatMap((p, j) => (p >= t[j] ? [j] : [])));
        return { head: h.head.name, task: 'multi_label', classes: classes[i], probabilities: rows, truth, predicted, thresholds: t };
    });
    return { keys, ...(source ? { sources: keys.map(source) } : {}), outputs };
}

export function writePredictions(runDir: string, experiment: string, runId: string, splits: Record<string, SplitPredictions>): void {
    const record: RunPredictions = { format: 'graft-predictions', version: PREDICTIONS_VERSION, experiment, runId, splits };
    // Compact: one row per image and class adds up (10,000 images × 100 classes is a million numbers).
    writeFileAtomic(join(runDir, PREDICTIONS_FILE), `${JSON.stringify(record)}\n`);
}
