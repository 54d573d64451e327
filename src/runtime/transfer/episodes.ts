// `evaluate episodes N way W shot K query Q`: N few-shot episodes drawn from a labelled pool (the
// test split). Each episode picks W classes that have at least K+Q images, then K support and Q
// query images per class, disjoint. Support images give the prototypes, query images are
// classified, and the episode's accuracy is the fraction of queries right. The report is the mean
// over episodes with a 95% confidence interval ±1.96·s/√N, s the sample standard deviation
// (n−1) of the episode accuracies (the usual few-shot protocol).
//
// Episode e is drawn from its own generator seeded by (seed, e), so the first N episodes are the
// same whatever N is, and a seed repeats the evaluation exactly.

import { mixSeed, mulberry32, shuffleInPlace, type Rng } from '../data/prng.js';
import { classifyByPrototypes, computePrototypes, type Distance, type FeatureMatrix } from './prototypes.js';

export interface EpisodeSpec {
    episodes: number;
    way: number;
    shot: number;
    query: number;
}

export interface Episode {
    /** The pool's class indices in this episode; position = the episode's local label. */
    classes: number[];
    /** Pool indices: `shot` per class, class by class. */
    support: number[];
    /** Pool indices: `query` per class, class by class. */
    query: number[];
}

export interface EpisodeSummary extends EpisodeSpec {
    distance: Distance;
    seed: number;
    /** Mean episode accuracy. */
    accuracy: number;
    /** Half-width of the 95% confidence interval: 1.96·std/√episodes. */
    ci95: number;
    /** Sample standard deviation of the episode accuracies. */
    std: number;
    /** Every episode's accuracy, in order. */
    accuracies: number[];
}

export class EpisodeError extends Error {}

function checkSpec(spec: EpisodeSpec): void {
    for (const k of ['episodes', 'way', 'shot', 'query'] as const) {
        const v = spec[k];
        if (!Number.isInteger(v) || v < 1) throw new EpisodeError(`episodes: ${k} must be a whole number ≥ 1, got ${v}`);
    }
    if (spec.way < 2) throw new EpisodeError(`episodes: way must be at least 2 (one class is no choice), got ${spec.way}`);
}

/** Pool indices per class, for classes 0..max(label). */
function byClass(labels: readonly number[]): number[][] {
    const groups: number[][] = [];
    labels.forEach((c, i) => {
        if (!Number.isInteger(c) || c < 0) throw new EpisodeError(`sample ${i} has no single class label (${c})`);
        (groups[c] ??= []).push(i);
    });
    return Array.from({ length: groups.length }, (_, c) => groups[c] ?? []);
}

export function sampleEpisode(groups: readonly number[][], spec: Omit<EpisodeSpec, 'episodes'>, rng: Rng, classNames?: readonly string[]): Episode {
    const need = spec.shot + spec.query;
    const eligible = groups.map((g, c) => (g.length >= need ? c : -1)).filter((c) => c >= 0);
    if (eligible.length < spec.way) {
        const counts = groups.map((g, c) => `${classNames?.[c] ?? c}: ${g.length}`).join(', ');
        throw new EpisodeError(
            `episodes of ${spec.way} way ${spec.shot} shot ${spec.query} query need ${spec.way} classes with at least ${need} images each; ` +
                `only ${eligible.length} have that many (${counts}). Lower way, shot or query, or give the split more images.`
        );
    }
    const classes = shuffleInPlace([...eligible], rng).slice(0, spec.way);
    const support: number[] = [];
    const query: number[] = [];
    for (const c of classes) {
        const picked = shuffleInPlace([...groups[c]], rng).slice(0, need);
        support.push(...picked.slice(0, spec.shot));
        query.push(...picked.slice(spec.shot));
    }
    return { classes, support, query };
}

/** `spec.episodes` episodes over a pool labelled `labels` (one class index per sample). */
export function sampleEpisodes(labels: readonly number[], spec: EpisodeSpec, seed: number, classNames?: readonly string[]): Episode[] {
    checkSpec(spec);
    const groups = byClass(labels);
    return Array.from({ length: spec.episodes }, (_, e) => sampleEpisode(groups, spec, mulberry32(mixSeed(seed, 'episode', e)), classNames));
}

/** Accuracy of one episode with prototypes from its support set. */
export function episodeAccuracy(features: FeatureMatrix, labels: readonly number[], episode: Episode, distance: Distance): number {
    // Local labels 0..way-1 in the episode's class order.
    const local = new Map(episode.classes.map((c, k) => [c, k]));
    const localLabels: number[] = [];
    for (const i of [...episode.support, ...episode.query]) localLabels[i] = local.get(labels[i])!;
    const protos = computePrototypes(features, localLabels, episode.support, episode.classes.length);
    const predicted = classifyByPrototypes(protos, features, episode.query, distance);
    let right = 0;
    predicted.forEach((p, k) => {
        if (p === localLabels[episode.query[k]]) right++;
    });
    return right / episode.query.length;
}

/** Mean, sample standard deviation and 95% CI half-width of a list of accuracies. */
export function meanAndCi(values: readonly number[]): { mean: number; std: number; ci95: number } {
    const n = values.length;
    if (n === 0) return { mean: NaN, std: NaN, ci95: NaN };
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
    return { mean, std, ci95: (1.96 * std) / Math.sqrt(n) };
}

export function evaluateEpisodes(
    features: FeatureMatrix,
    labels: readonly number[],
    spec: EpisodeSpec,
    options: { distance: Distance; seed: number; classNames?: readonly string[] }
): EpisodeSummary {
    if (features.n !== labels.length) throw new EpisodeError(`episodes: ${features.n} feature rows but ${labels.length} labels`);
    const episodes = sampleEpisodes(labels, spec, options.seed, options.classNames);
    const accuracies = episodes.map((e) => episodeAccuracy(features, labels, e, options.distance));
    const { mean, std, ci95 } = meanAndCi(accuracies);
    return { ...spec, distance: options.distance, seed: options.seed, accuracy: mean, ci95, std, accuracies };
}
