// Picks the misclassified images a person should look at first: single-label samples whose
// argmax is not their label, the most confident mistakes first (ties: earlier in the split's
// fixed evaluation order), at most `limit`. Streaming, so only `limit` images' pixels are kept
// however large the split is; the outcome equals sorting all mistakes at once.

import type { Normalize } from '../../core/plan/types.js';
import { normalizationOf } from '../data/index.js';

export interface Mistake {
    /** Position in the split's evaluation order. */
    index: number;
    key?: string;
    trueClass: number;
    predicted: number;
    /** Probability of the predicted class. */
    confidence: number;
}

export interface CollectedMistake extends Mistake {
    /** [h, w, c] of the image. */
    shape: [number, number, number];
    /** The image's normalised values as the model saw them (h·w·c). */
    values: Float32Array;
}

/** Most confident first; equal confidences in evaluation order, so the choice is deterministic. */
export function compareMistakes(a: Mistake, b: Mistake): number {
    return b.confidence - a.confidence || a.index - b.index;
}

/** The mistakes among row-major [n, classes] probabilities, best first, at most `limit`. */
export function selectMisclassified(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, limit: number, start = 0): Mistake[] {
    const out: Mistake[] = [];
    for (let r = 0; r < labels.length; r++) {
        let best = 0;
        for (let j = 1; j < classes; j++) if (probs[r * classes + j] > probs[r * classes + best]) best = j;
        if (best !== labels[r]) out.push({ index: start + r, trueClass: labels[r], predicted: best, confidence: probs[r * classes + best] });
    }
    return out.sort(compareMistakes).slice(0, Math.max(0, limit));
}

export class MisclassifiedCollector {
    private kept: CollectedMistake[] = [];
    private seen = 0;

    constructor(readonly limit: number) {}

    /**
     * One batch in evaluation order. `values` is read only when a mistake of this batch makes
     * the list, so most batches never copy their pixels off the device.
     */
    async add(batch: { probs: ArrayLike<number>; labels: ArrayLike<number>; classes: number; keys?: string[]; shape: [number, number, number]; values: () => Promise<Float32Array | ArrayLike<number>> }): Promise<void> {
        const start = this.seen;
        this.seen += batch.labels.length;
        const worst = this.kept.length >= this.limit ? this.kept[this.kept.length - 1] : undefined;
        const entering = selectMisclassified(batch.probs, batch.labels, batch.classes, this.limit, start).filter((m) => !worst || compareMistakes(m, worst) < 0);
        if (!entering.length) return;
        const all = await batch.values();
        const per = batch.shape[0] * batch.shape[1] * batch.shape[2];
        for (const m of entering) {
            const r = m.index - start;
            this.kept.push({ ...m, key: batch.keys?.[r], shape: batch.shape, values: Float32Array.from({ length: per }, (_, i) => all[r * per + i]) });
        }
        this.kept.sort(compareMistakes);
        this.kept.length = Math.min(this.kept.length, this.limit);
    }

    result(): CollectedMistake[] {
        return [...this.kept];
    }
}

/** Normalised values back to HWC 0..255 pixels (inverse of the data pipeline's `normalize`). */
export function denormalize(values: ArrayLike<number>, normalize: Normalize, channels: 1 | 3): Uint8Array {
    const { scale, offset } = normalizationOf(normalize, channels);
    const out = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
        const c = i % channels;
        const v = (values[i] - offset[c]) / scale[c];
        out[i] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v))) : 0;
    }
    return out;
}
