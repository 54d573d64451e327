// Mean and spread of a metric over seeds, and whether a gain stands out of its spread.
// The spread is the sample standard deviation (n − 1): with a handful of seeds it is the honest,
// larger estimate. A gain is significant when its mean exceeds its spread; with one seed there is
// no spread, so significance is unknown rather than assumed.

export interface Spread {
    mean: number;
    /** Sample standard deviation over the seeds; 0 for one seed. */
    std: number;
    min: number;
    max: number;
    /** Seeds that contributed (those whose run completed and reported the metric). */
    n: number;
    /** The per-seed values, in seed order. */
    values: number[];
}

export interface GainSpread extends Spread {
    /** |mean| > std with two or more seeds; undefined with one seed (no spread to compare with). */
    significant?: boolean;
}

export function spreadOf(values: number[]): Spread {
    const n = values.length;
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
    return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values), n, values };
}

export function gainSpreadOf(values: number[]): GainSpread {
    const s = spreadOf(values);
    return s.n > 1 ? { ...s, significant: Math.abs(s.mean) > s.std } : s;
}

type Table = Record<string, Record<string, number>>;

/**
 * Per split and metric, the spread over the tables given (one per seed). A metric missing from a
 * seed's table (a failed evaluation, a non-finite value) is left out of that metric's spread only.
 */
export function spreadTable<T extends Spread>(tables: Table[], of: (values: number[]) => T): Record<string, Record<string, T>> {
    const out: Record<string, Record<string, T>> = {};
    const splits = [...new Set(tables.flatMap((t) => Object.keys(t)))];
    for (const split of splits) {
        const metrics = [...new Set(tables.flatMap((t) => Object.keys(t[split] ?? {})))];
        for (const metric of metrics) {
            const values = tables.map((t) => t[split]?.[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
            if (values.length) (out[split] ??= {})[metric] = of(values);
        }
    }
    return out;
}

/** `0.7468 ± 0.0123`: the mean and spread at the given number of decimals. */
export function formatSpread(s: Spread, digits = 4, signed = false): string {
    const mean = `${signed && s.mean >= 0 ? '+' : ''}${s.mean.toFixed(digits)}`;
    return s.n > 1 ? `${mean} ± ${s.std.toFixed(digits)}` : mean;
}
