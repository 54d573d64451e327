// `head prototypes` (Snell et al. 2017, with a frozen backbone): each class is represented by the
// mean of its support images' pooled features; a query gets the class of the nearest mean.
// Distances: `cosine` (largest cosine similarity — robust to the overall feature scale a frozen
// backbone gives) or `euclidean` (smallest squared distance). Plain arrays: an episode is a few
// dozen vectors, and exact, backend-independent arithmetic keeps results repeatable.

export type Distance = 'cosine' | 'euclidean';

/** Feature vectors of n samples, each of length dim, row-major. */
export interface FeatureMatrix {
    n: number;
    dim: number;
    values: Float32Array;
}

export function row(f: FeatureMatrix, i: number): Float32Array {
    return f.values.subarray(i * f.dim, (i + 1) * f.dim);
}

export function featureMatrix(rows: number[][]): FeatureMatrix {
    const dim = rows[0]?.length ?? 0;
    const values = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
        if (r.length !== dim) throw new Error(`feature row ${i} has ${r.length} values, expected ${dim}`);
        values.set(r, i * dim);
    });
    return { n: rows.length, dim, values };
}

/**
 * Class means of the samples `indices` (into `features`) with `labels[index]` in 0..classes-1.
 * Every class must have at least one sample.
 */
export function computePrototypes(features: FeatureMatrix, labels: readonly number[], indices: readonly number[], classes: number): Float64Array[] {
    const sums = Array.from({ length: classes }, () => new Float64Array(features.dim));
    const counts = new Array<number>(classes).fill(0);
    for (const i of indices) {
        const c = labels[i];
        if (!(c >= 0 && c < classes)) throw new Error(`sample ${i} has label ${c}, outside 0..${classes - 1}`);
        const r = row(features, i);
        const s = sums[c];
        for (let k = 0; k < features.dim; k++) s[k] += r[k];
        counts[c]++;
    }
    return sums.map((s, c) => {
        if (counts[c] === 0) throw new Error(`class ${c} has no support sample: a prototype needs at least one`);
        for (let k = 0; k < s.length; k++) s[k] /= counts[c];
        return s;
    });
}

function norm(v: ArrayLike<number>): number {
    let s = 0;
    for (let k = 0; k < v.length; k++) s += v[k] * v[k];
    return Math.sqrt(s);
}

/** Score of a query against a prototype: higher is nearer. */
function score(q: ArrayLike<number>, p: ArrayLike<number>, distance: Distance, qNorm: number, pNorm: number): number {
    if (distance === 'euclidean') {
        let d = 0;
        for (let k = 0; k < q.length; k++) {
            const diff = q[k] - p[k];
            d += diff * diff;
        }
        return -d;
    }
    let dot = 0;
    for (let k = 0; k < q.length; k++) dot += q[k] * p[k];
    // A zero vector has no direction; it scores 0 against everything.
    return qNorm > 0 && pNorm > 0 ? dot / (qNorm * pNorm) : 0;
}

/** Nearest prototype of each query sample (ties: the lower class index). */
export function classifyByPrototypes(prototypes: readonly ArrayLike<number>[], features: FeatureMatrix, indices: readonly number[], distance: Distance): number[] {
    const pNorms = prototypes.map(norm);
    return indices.map((i) => {
        const q = row(features, i);
        const qNorm = distance === 'cosine' ? norm(q) : 0;
        let best = 0;
        let bestScore = -Infinity;
        prototypes.forEach((p, c) => {
            const s = score(q, p, distance, qNorm, pNorms[c]);
            if (s > bestScore) {
                bestScore = s;
                best = c;
            }
        });
        return best;
    });
}
