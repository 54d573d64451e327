// `balance class_weights` and `balance oversample` for imbalanced labels, computed on the
// training split only.

import type { Rng } from './prng.js';
import { shuffleInPlace } from './prng.js';
import { append } from './concurrency.js';

/**
 * Inverse-frequency weights normalised so the average weight over the training samples is 1
 * (w_c = N / (K · n_c), K = classes that occur). Classes absent from train get weight 0.
 * For multi-label, n_c counts the images where class c is present.
 */
export function inverseFrequencyWeights(counts: number[]): number[] {
    const present = counts.filter((n) => n > 0);
    const total = present.reduce((a, b) => a + b, 0);
    return counts.map((n) => (n > 0 ? total / (present.length * n) : 0));
}

/**
 * One epoch's oversampled index list: every class repeated (cycling through a shuffled copy) up
 * to the size of the largest class. Original samples come first; the epoch order shuffles them.
 */
export function oversample(indices: number[], classOf: (i: number) => number, rng: Rng): number[] {
    const groups = new Map<number, number[]>();
    for (const i of indices) {
        const c = classOf(i);
        if (!groups.has(c)) groups.set(c, []);
        groups.get(c)!.push(i);
    }
    const target = Math.max(0, ...[...groups.values()].map((g) => g.length));
    const out: number[] = [];
    for (const c of [...groups.keys()].sort((a, b) => a - b)) {
        const g = groups.get(c)!;
        append(out, g);
        const extra = shuffleInPlace([...g], rng);
        for (let k = 0; g.length + k < target; k++) out.push(extra[k % extra.length]);
    }
    return out;
}
