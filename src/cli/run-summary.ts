// The lines `graft run` prints when a run ends: each split's metrics, then each baseline's gain,
// named by what the baseline is. With several seeds every number is mean ± spread, and a gain
// smaller than its spread says "not significant"; with one seed the summary says that no spread
// was measured, so a single lucky seed is not read as a result.

import type { BaselineKind } from '../core/plan/types.js';
import type { RunResults } from '../runtime/runs/results.js';
import { formatSpread, type GainSpread, type Spread } from '../runtime/eval/spread.js';

const AGAINST: Record<BaselineKind, string> = {
    scratch: 'transfer gain vs scratch (every layer trained from random weights)',
    random_features: 'gain vs random_features (the same freezing over a random backbone)'
};

function fmt(v: number): string {
    return Math.abs(v) >= 100 || Number.isInteger(v) ? String(v) : v.toFixed(4);
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${fmt(v)}`;

function spreadText(s: Spread | undefined, value: number, sign = false): string {
    if (!s) return sign ? signed(value) : fmt(value);
    return formatSpread(s, 4, sign);
}

function gainNote(g: GainSpread | undefined): string {
    if (!g || g.significant === undefined) return '';
    return g.significant ? '' : ' (not significant)';
}

export function runSummary(r: RunResults, status: string, runDir: string): string[] {
    const out: string[] = [`${r.experiment}: ${status} in ${(r.seconds ?? 0).toFixed(1)} s → ${runDir}`];
    const seeds = r.seeds;
    if (seeds) {
        const done = seeds.runs.filter((x) => x.status === 'completed').map((x) => x.seed);
        out.push(`  over ${done.length} seed${done.length === 1 ? '' : 's'} (${done.join(', ')}): mean ± spread (sample standard deviation)`);
    }
    for (const [split, values] of Object.entries(r.metrics)) {
        const scalars = Object.entries(values)
            .filter(([, v]) => typeof v === 'number')
            .map(([k, v]) => `${k} ${spreadText(seeds?.metrics[split]?.[k], v as number)}`);
        if (scalars.length) out.push(`  ${split}: ${scalars.join(', ')}`);
    }
    for (const [kind, bySplit] of Object.entries(r.transferGain ?? {}) as [BaselineKind, Record<string, Record<string, number>>][]) {
        const base = r.baselines?.[kind]?.metrics;
        for (const [split, gains] of Object.entries(bySplit ?? {})) {
            const parts = Object.entries(gains).map(([k, v]) => {
                const g = seeds?.transferGain?.[kind]?.[split]?.[k];
                const b = base?.[split]?.[k];
                const baseText = typeof b === 'number' ? ` (baseline ${spreadText(seeds?.baselines?.[kind]?.[split]?.[k], b)})` : '';
                return `${k} ${spreadText(g, v, true)}${gainNote(g)}${baseText}`;
            });
            out.push(`  ${AGAINST[kind] ?? `gain vs ${kind}`} on ${split}: ${parts.join(', ')}`);
        }
    }
    if (!seeds && r.transferGain && Object.keys(r.transferGain).length) {
        out.push('  one seed: no spread measured, so no gain can be called significant; `seeds 1, 2, 3` or `--seeds 3` measures it');
    }
    return out;
}
