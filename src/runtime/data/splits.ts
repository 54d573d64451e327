// Deterministic splits and few-shot sampling. Samples are first ordered by key (so the listing
// order of the file system does not matter), then shuffled with a PRNG seeded from the
// experiment seed. Every sample lands in exactly one split (or in `unused`, when `shots` leaves
// it out of the training split).

import type { DatasetPlan, SplitName } from '../../core/plan/types.js';
import { dataError } from './errors.js';
import type { LabeledSample } from './labels.js';
import { mixSeed, mulberry32, shuffleInPlace } from './prng.js';
import { append } from './concurrency.js';

export const SPLIT_ORDER: SplitName[] = ['train', 'val', 'test'];

export interface SplitAssignment {
    /** Sample indices per split, each list in a deterministic order. */
    splits: Partial<Record<SplitName, number[]>>;
    /** Training samples left out by `shots`. */
    unused: number[];
    /** How the split came about, for splits.json. */
    mode: 'fractions' | 'folders' | 'none';
}

function byKey(samples: LabeledSample[]): number[] {
    return samples.map((_, i) => i).sort((a, b) => (samples[a].raw.key < samples[b].raw.key ? -1 : samples[a].raw.key > samples[b].raw.key ? 1 : 0));
}

/** The class a sample is stratified (and counted for `shots`) by: its label, or its rarest label. */
export function strataOf(samples: LabeledSample[], column: string, classCount: number): number[] {
    const freq = new Array<number>(classCount).fill(0);
    for (const s of samples) for (const c of s.targets[column]) freq[c]++;
    return samples.map((s) => {
        const t = s.targets[column];
        if (t.length === 0) return -1;
        let best = t[0];
        for (const c of t) if (freq[c] < freq[best] || (freq[c] === freq[best] && c < best)) best = c;
        return best;
    });
}

/** Splits `indices` by fractions; leftover items go where the running total lags most behind. */
function allocate(groups: number[][], fractions: [SplitName, number][], out: Map<SplitName, number[]>): void {
    const expected = new Map<SplitName, number>(fractions.map(([s]) => [s, 0]));
    const assigned = new Map<SplitName, number>(fractions.map(([s]) => [s, 0]));
    for (const group of groups) {
        const n = group.length;
        const take = new Map<SplitName, number>();
        let given = 0;
        for (const [s, f] of fractions) {
            const base = Math.floor(n * f + 1e-9);
            take.set(s, base);
            given += base;
            expected.set(s, expected.get(s)! + n * f);
            assigned.set(s, assigned.get(s)! + base);
        }
        for (let r = given; r < n; r++) {
            let best = fractions[0][0];
            let bestDeficit = -Infinity;
            for (const [s] of fractions) {
                const deficit = expected.get(s)! - assigned.get(s)!;
                if (deficit > bestDeficit + 1e-9) {
                    best = s;
                    bestDeficit = deficit;
                }
            }
            take.set(best, take.get(best)! + 1);
            assigned.set(best, assigned.get(best)! + 1);
        }
        let at = 0;
        for (const [s] of fractions) {
            const k = take.get(s)!;
            append(out.get(s)!, group.slice(at, at + k));
            at += k;
        }
    }
}

export interface SplitOptions {
    seed: number;
    presplit: boolean;
    defaultColumn: string;
    classes: string[];
}

export function assignSplits(plan: DatasetPlan, samples: LabeledSample[], opts: SplitOptions): SplitAssignment {
    const ordered = byKey(samples);
    const splits: Partial<Record<SplitName, number[]>> = {};
    let mode: SplitAssignment['mode'];
    if (opts.presplit) {
        mode = 'folders';
        for (const i of ordered) (splits[samples[i].raw.split!] ??= []).push(i);
    } else if (!plan.split) {
        // No split statement: the whole pool is one set, handed out as `train`.
        mode = 'none';
        splits.train = ordered;
    } else {
        mode = 'fractions';
        const fractions = SPLIT_ORDER.filter((s) => (plan.split![s] ?? 0) > 0).map((s) => [s, plan.split![s]!] as [SplitName, number]);
        const total = fractions.reduce((a, [, f]) => a + f, 0);
        const normalised = fractions.map(([s, f]) => [s, f / total] as [SplitName, number]);
        const out = new Map<SplitName, number[]>(normalised.map(([s]) => [s, []]));
        let groups: number[][];
        if (plan.stratified) {
            const strata = strataOf(samples, opts.defaultColumn, opts.classes.length);
            const byStratum = new Map<number, number[]>();
            for (const i of ordered) {
                const k = strata[i];
                if (!byStratum.has(k)) byStratum.set(k, []);
                byStratum.get(k)!.push(i);
            }
            groups = [...byStratum.keys()].sort((a, b) => a - b).map((k) => shuffleInPlace(byStratum.get(k)!, mulberry32(mixSeed(opts.seed, 'split', k))));
        } else {
            groups = [shuffleInPlace([...ordered], mulberry32(mixSeed(opts.seed, 'split')))];
        }
        allocate(groups, normalised, out);
        for (const [s, list] of out) {
            splits[s] = list;
            if (list.length === 0) {
                throw dataError(
                    plan,
                    `split ${s} (${Math.round((plan.split[s] ?? 0) * 100)}%) has no images: ${samples.length} usable image${samples.length === 1 ? '' : 's'} are too few. Raise its percentage, add images, or drop the split.`
                );
            }
        }
    }
    for (const s of SPLIT_ORDER) {
        if (splits[s] && splits[s]!.length === 0) delete splits[s];
    }
    const unused: number[] = [];
    if (plan.shots !== undefined) {
        const train = splits.train;
        if (!train || train.length === 0) throw dataError(plan, `\`shots ${plan.shots} per class\` needs a train split, but it is empty.`);
        const strata = strataOf(samples, opts.defaultColumn, opts.classes.length);
        const perClass = new Map<number, number[]>();
        for (const i of train) {
            const k = strata[i];
            if (!perClass.has(k)) perClass.set(k, []);
            perClass.get(k)!.push(i);
        }
        const kept: number[] = [];
        for (let c = 0; c < opts.classes.length; c++) {
            const pool = perClass.get(c) ?? [];
            if (pool.length < plan.shots) {
                throw dataError(
                    plan,
                    `class "${opts.classes[c]}" has ${pool.length} training image${pool.length === 1 ? '' : 's'}, fewer than \`shots ${plan.shots} per class\`. Lower shots, give train a larger share, or add images.`
                );
            }
            const picked = shuffleInPlace([...pool], mulberry32(mixSeed(opts.seed, 'shots', c)));
            append(kept, picked.slice(0, plan.shots));
            append(unused, picked.slice(plan.shots));
        }
        // Samples with no label at all (multi-label negatives) are not part of a few-shot set.
        append(unused, perClass.get(-1) ?? []);
        const keptSet = new Set(kept);
        splits.train = train.filter((i) => keptSet.has(i));
    }
    return { splits, unused, mode };
}
