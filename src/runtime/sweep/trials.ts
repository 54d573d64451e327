// The trials of a sweep: the full grid of its `vary` values (the first `vary` changes slowest,
// as nested loops in the order written), or with `trials n random` n distinct grid points drawn
// with a generator seeded by (seed, sweep name) — no repeats; when n is at least the grid size the
// whole grid runs. Sampled trials keep grid order so the table reads like the grid.

import type { SweepPlan } from '../../core/plan/types.js';
import { mixSeed, mulberry32 } from '../data/prng.js';

export interface Trial {
    /** `t01`, `t02`, … in run order. */
    name: string;
    /** Position in the full grid (0-based). */
    gridIndex: number;
    /** Parameter → value, in the sweep's `vary` order. */
    values: Record<string, number>;
}

export class SweepError extends Error {
    constructor(message: string, readonly at?: SweepPlan['at']) {
        super(message);
    }
}

export function gridSize(sweep: Pick<SweepPlan, 'vary'>): number {
    return sweep.vary.reduce((n, v) => n * v.values.length, 1);
}

/** The grid point at `index` (mixed radix, last `vary` fastest). */
export function gridPoint(sweep: Pick<SweepPlan, 'vary'>, index: number): Record<string, number> {
    const values: Record<string, number> = {};
    let rest = index;
    for (let k = sweep.vary.length - 1; k >= 0; k--) {
        const v = sweep.vary[k];
        values[v.param] = v.values[rest % v.values.length];
        rest = Math.floor(rest / v.values.length);
    }
    // Re-insert in `vary` order (the loop above filled it backwards).
    return Object.fromEntries(sweep.vary.map((v) => [v.param, values[v.param]]));
}

export function expandTrials(sweep: Pick<SweepPlan, 'vary' | 'trials' | 'sweep' | 'at'>, seed: number): Trial[] {
    if (sweep.vary.length === 0) throw new SweepError(`sweep ${sweep.sweep} varies nothing: add e.g. \`vary lr 1e-2, 1e-3\``, sweep.at);
    const seen = new Set<string>();
    for (const v of sweep.vary) {
        if (seen.has(v.param)) throw new SweepError(`sweep ${sweep.sweep} varies ${v.param} twice; give all its values in one \`vary\``, sweep.at);
        seen.add(v.param);
        if (v.values.length === 0) throw new SweepError(`sweep ${sweep.sweep}: \`vary ${v.param}\` has no values`, sweep.at);
    }
    const size = gridSize(sweep);
    let indices = Array.from({ length: size }, (_, i) => i);
    if (sweep.trials !== undefined) {
        if (!Number.isInteger(sweep.trials) || sweep.trials < 1) throw new SweepError(`sweep ${sweep.sweep}: trials must be a whole number ≥ 1, got ${sweep.trials}`, sweep.at);
        if (sweep.trials < size) {
            // Partial Fisher–Yates: the first n positions are a uniform sample without repeats.
            const rng = mulberry32(mixSeed(seed, 'sweep', sweep.sweep));
            for (let i = 0; i < sweep.trials; i++) {
                const j = i + Math.floor(rng() * (size - i));
                [indices[i], indices[j]] = [indices[j], indices[i]];
            }
            indices = indices.slice(0, sweep.trials).sort((a, b) => a - b);
        }
    }
    const width = Math.max(2, String(indices.length).length);
    return indices.map((gridIndex, k) => ({ name: `t${String(k + 1).padStart(width, '0')}`, gridIndex, values: gridPoint(sweep, gridIndex) }));
}
