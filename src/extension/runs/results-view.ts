// Turns a run's files into what the panel shows. The runtime owns their shapes: results.json is
// RunResults, sweep.json SweepRecord, plan.json PlanFile (src/runtime/runs/contract.ts, published as
// docs/schema/*.schema.json). A file goes through the contract's upgrade functions first, which
// take an older version to the current types or refuse it with a reason; from there on this
// module reads typed fields only, so a renamed field is a compile error here, not a blank panel.

import type { BaselineKind } from '../../core/plan/types.js';
import { readEngine, type EngineInfo } from '../../runtime/runs/engine.js';
import { upgradePlan, upgradeResults, upgradeSweep } from '../../runtime/runs/contract-upgrade.js';
import type { RunResults, StoredMetricValues } from '../../runtime/runs/results.js';
import type { SweepRecord } from '../../runtime/sweep/sweep-record.js';
import type { PlanFile } from '../../runtime/runs/plan-file.js';
import type { Spread } from '../../runtime/eval/spread.js';

export interface ClassReport {
    label: string;
    precision: number;
    recall: number;
    f1: number;
    support?: number;
}

export interface ConfusionView {
    labels: string[];
    /** rows = true class, columns = predicted class. */
    matrix: number[][];
}

export interface MisclassifiedView {
    /** Absolute file path or data: URI; the host turns paths into webview URIs. */
    image: string;
    trueLabel: string;
    predicted: string;
    confidence?: number;
    /** The evaluated split (`test` or an evaluation dataset), when the run says. */
    split?: string;
    /** Where the original image came from (its file relative to the spec), when the run says. */
    source?: string;
}

export interface HeadView {
    name: string;
    metrics: Record<string, number>;
    perClass?: ClassReport[];
    confusion?: ConfusionView;
}

export interface EpisodesView {
    accuracy: number;
    /** Half-width of the 95 % confidence interval. */
    ci95?: number;
    /** Standard deviation of the per-episode accuracies. */
    std?: number;
    episodes?: number;
    way?: number;
    shot?: number;
    query?: number;
}

export interface SweepTrialView {
    /** The trial's name in the runtime's sweep.json (`t1`, `t2`, …). */
    name?: string;
    params: Record<string, number | string>;
    value?: number;
    /** 1 = best by the objective; absent for trials without a value (failed, cancelled). */
    rank?: number;
    status?: string;
    runDir?: string;
    seconds?: number;
    error?: string;
    best?: boolean;
}

export interface SweepView {
    sweep?: string;
    /** The swept experiment. */
    experiment?: string;
    objective?: { direction: 'max' | 'min'; monitor: string };
    /** Trials sorted by the objective, best first (as the runtime ranks them). */
    trials: SweepTrialView[];
}

export type BaselineViewKind = BaselineKind;

export const BASELINE_LABELS: Record<BaselineViewKind, { short: string; long: string }> = {
    scratch: { short: 'scratch', long: 'every layer trained from random weights' },
    random_features: { short: 'random features', long: 'the same freezing over a random backbone' }
};

/** Mean ± spread of one number over seeds. */
export interface SpreadView {
    std: number;
    n: number;
}

export interface TransferGainView {
    metric: string;
    /** experiment − baseline, on the same split and metric (the mean over seeds with `seeds`). */
    value: number;
    experiment?: number;
    baseline?: number;
    /** Which baseline the gain is against. */
    against: BaselineViewKind;
    /** Over seeds: the spread of the per-seed gains, and whether the gain exceeds it. */
    spread?: SpreadView;
    significant?: boolean;
}

export interface BaselineView {
    kind: BaselineViewKind;
    /** split → metric → value (means with `seeds`). */
    metrics: Record<string, Record<string, number>>;
    spread?: Record<string, Record<string, SpreadView>>;
}

export interface SeedsView {
    values: number[];
    completed: number[];
    /** split → metric → spread of the experiment's own metrics. */
    spread: Record<string, Record<string, SpreadView>>;
}

export interface ResultsView {
    experiment?: string;
    status?: string;
    backend?: string;
    /** Who trained the run: Graft itself, or the engine of an exported project (`graft export`). */
    engine: EngineInfo;
    seed?: number;
    seconds?: number;
    /** split → metric → value; scalar metrics only. */
    metrics: Record<string, Record<string, number>>;
    /** The baselines trained beside the experiment, scratch first. */
    baselines?: BaselineView[];
    /** The headline gain: against scratch when there is one. */
    transferGain?: TransferGainView;
    /** The headline gain against each baseline. */
    gains?: TransferGainView[];
    seeds?: SeedsView;
    perClass?: ClassReport[];
    confusion?: ConfusionView;
    misclassified?: MisclassifiedView[];
    heads?: HeadView[];
    episodes?: EpisodesView;
    sweep?: SweepView;
    /** Multi-label decision thresholds per head, per class (`threshold tuned` picks them on val). */
    thresholds?: { head?: string; values: number[]; labels?: string[] }[];
    error?: string;
    /** What reading an older results.json changed (contract-upgrade.ts), shown with the results. */
    notes?: string[];
}

const BASELINE_ORDER: BaselineViewKind[] = ['scratch', 'random_features'];

/** The scalar metrics of one split; null (a NaN metric) and matrices are not scalars. */
function scalars(values: StoredMetricValues | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(values ?? {})) if (typeof v === 'number') out[k] = v;
    return out;
}

const isEpisodesKey = (split: string) => split === 'episodes' || split.startsWith('episodes_');

/** split → scalar metrics, without the episode summaries (they have their own section). */
function splitScalars(metrics: Record<string, StoredMetricValues> | undefined): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [split, values] of Object.entries(metrics ?? {})) {
        if (isEpisodesKey(split)) continue;
        const s = scalars(values);
        if (Object.keys(s).length) out[split] = s;
    }
    return out;
}

function spreads(table: Record<string, Record<string, Spread>> | undefined): Record<string, Record<string, SpreadView>> {
    const out: Record<string, Record<string, SpreadView>> = {};
    for (const [split, byMetric] of Object.entries(table ?? {})) for (const [metric, s] of Object.entries(byMetric)) (out[split] ??= {})[metric] = { std: s.std, n: s.n };
    return out;
}

function confusionOf(values: StoredMetricValues | undefined, key: string, labels: string[] | undefined): ConfusionView | undefined {
    const m = values?.[key];
    if (!Array.isArray(m)) return undefined;
    return { labels: labels && labels.length === m.length ? labels : m.map((_, i) => String(i)), matrix: m };
}

function baselinesOf(r: RunResults): BaselineView[] | undefined {
    const out: BaselineView[] = [];
    for (const kind of BASELINE_ORDER) {
        const b = r.baselines?.[kind];
        if (!b) continue;
        const spread = spreads(r.seeds?.baselines?.[kind]);
        out.push({ kind, metrics: splitScalars(b.metrics), ...(Object.keys(spread).length ? { spread } : {}) });
    }
    return out.length ? out : undefined;
}

/** The headline gain against each baseline: test accuracy, else the first metric of test (else of the first split). */
function gainsOf(r: RunResults, metrics: Record<string, Record<string, number>>, baselines: BaselineView[] | undefined): TransferGainView[] {
    const out: TransferGainView[] = [];
    for (const kind of BASELINE_ORDER) {
        const table = r.transferGain?.[kind];
        if (!table) continue;
        const split = table.test ? 'test' : Object.keys(table)[0];
        if (!split) continue;
        const gains = table[split]!;
        const metric = gains.accuracy !== undefined ? 'accuracy' : Object.keys(gains)[0];
        if (metric === undefined) continue;
        const s = r.seeds?.transferGain?.[kind]?.[split]?.[metric];
        out.push({
            metric: split === 'test' ? metric : `${split} ${metric}`, value: gains[metric]!, experiment: metrics[split]?.[metric], baseline: baselines?.find((b) => b.kind === kind)?.metrics[split]?.[metric], against: kind,
            ...(s && s.n > 1 ? { spread: { std: s.std, n: s.n }, significant: s.significant ?? Math.abs(gains[metric]!) > s.std } : {})
        });
    }
    return out;
}

function episodesOf(r: RunResults, plan: PlanFile | undefined): EpisodesView | undefined {
    const e = r.metrics.episodes;
    if (!e || typeof e.accuracy !== 'number') return undefined;
    const shape = plan?.evaluate.find((x) => x.kind === 'episodes');
    const n = (v: unknown) => (typeof v === 'number' ? v : undefined);
    return { accuracy: e.accuracy, ci95: n(e.ci95), std: n(e.std), episodes: n(e.episodes) ?? (shape?.kind === 'episodes' ? shape.episodes : undefined), ...(shape?.kind === 'episodes' ? { way: shape.way, shot: shape.shot, query: shape.query } : {}) };
}

/** Multi-task runs: the runtime prefixes each head's metrics with the head's name (`species_accuracy`). */
function headsOf(r: RunResults, plan: PlanFile | undefined): HeadView[] | undefined {
    const heads = plan?.head.kind === 'output' ? plan.head.heads : undefined;
    if (!heads || heads.length < 2) return undefined;
    const test = r.metrics.test;
    return heads.map(({ name }, i) => {
        const metrics: Record<string, number> = {};
        for (const [k, v] of Object.entries(test ?? {})) if (k.startsWith(`${name}_`) && typeof v === 'number') metrics[k.slice(name.length + 1)] = v;
        const confusion = confusionOf(test, `${name}_confusion`, r.classes[i]);
        return { name, metrics, ...(confusion ? { confusion, perClass: perClassFromConfusion(confusion) } : {}) };
    });
}

/** The panel's view of a results.json that the contract has read (see readResultsFile for raw JSON). */
export function resultsView(r: RunResults, runDir?: string, plan?: PlanFile, notes: string[] = []): ResultsView {
    const metrics = splitScalars(r.metrics);
    const baselines = baselinesOf(r);
    const classes = r.classes[0];
    const confusion = confusionOf(r.metrics.test, 'confusion', classes) ?? confusionOf(r.metrics.val, 'confusion', classes);
    const view: ResultsView = {
        experiment: r.experiment,
        status: r.status,
        backend: r.backend,
        engine: readEngine(r),
        seed: r.seed,
        seconds: r.seconds,
        metrics,
        ...(baselines ? { baselines } : {}),
        ...(confusion ? { confusion, perClass: perClassFromConfusion(confusion) } : {}),
        ...(r.error ? { error: r.error.message } : {}),
        ...(notes.length ? { notes } : {})
    };
    if (r.seeds) view.seeds = { values: r.seeds.values, completed: r.seeds.runs.filter((x) => x.status === 'completed').map((x) => x.seed), spread: spreads(r.seeds.metrics) };
    if (r.misclassified?.length) {
        const label = (l: string) => l;
        view.misclassified = r.misclassified.map((m) => ({ image: runDir && !m.image.startsWith('/') ? `${runDir.replace(/\/$/, '')}/${m.image}` : m.image, trueLabel: label(m.trueLabel), predicted: label(m.predicted), confidence: m.confidence, split: m.split, ...(m.source ? { source: m.source } : {}) }));
    }
    const episodes = episodesOf(r, plan);
    if (episodes) view.episodes = episodes;
    const gains = gainsOf(r, metrics, baselines);
    if (gains.length) {
        view.gains = gains;
        view.transferGain = gains[0];
    }
    const headNames = plan?.head.kind === 'output' ? plan.head.heads.map((h) => h.name) : undefined;
    const thresholds = (r.thresholds ?? []).flatMap((values, i) => (values?.length ? [{ head: headNames && headNames.length > 1 ? headNames[i] : undefined, values, labels: r.classes[i] }] : []));
    if (thresholds.length) view.thresholds = thresholds;
    const heads = headsOf(r, plan);
    if (heads) view.heads = heads;
    return view;
}

/**
 * A results.json as parsed JSON (any version this Graft reads) with the run's plan.json, parsed
 * too when there is one. Never throws: an unreadable file is a view with `error`.
 */
export function readResultsFile(raw: unknown, runDir?: string, rawPlan?: unknown): ResultsView {
    const read = upgradeResults(raw);
    if (!read.ok) return { metrics: {}, engine: readEngine(undefined), error: read.error };
    const plan = rawPlan === undefined ? undefined : upgradePlan(rawPlan);
    return resultsView(read.results, runDir, plan?.ok ? plan.value : undefined, read.notes);
}

/** The panel's view of a sweep table (sweep.json, ranked best first by the runtime). */
export function sweepView(rec: SweepRecord): SweepView {
    return {
        sweep: rec.sweep,
        experiment: rec.experiment,
        objective: rec.objective,
        trials: rec.trials.map((t) => ({ name: t.name, params: t.values, value: t.objective, rank: t.rank, status: t.status, runDir: t.runDir, seconds: t.seconds, error: t.error, best: t.name === rec.best }))
    };
}

/** sweep.json as parsed JSON: the sweep table as results (undefined with `error` when unreadable). */
export function readSweepFile(raw: unknown): ResultsView {
    const read = upgradeSweep(raw);
    if (!read.ok) return { metrics: {}, engine: readEngine(undefined), error: read.error };
    return { experiment: read.value.sweep, status: read.value.status, seconds: read.value.seconds, engine: readEngine(undefined), metrics: {}, sweep: sweepView(read.value) };
}

/** Per-class precision/recall/F1 from a confusion matrix (rows true, columns predicted). */
export function perClassFromConfusion(c: ConfusionView): ClassReport[] {
    const n = c.matrix.length;
    return c.matrix.map((row, i) => {
        const tp = row[i] ?? 0;
        const support = row.reduce((a, b) => a + b, 0);
        let predicted = 0;
        for (let r = 0; r < n; r++) predicted += c.matrix[r]?.[i] ?? 0;
        const precision = predicted ? tp / predicted : 0;
        const recall = support ? tp / support : 0;
        return { label: c.labels[i] ?? String(i), precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
    });
}

/** `+5.2 pts ± 1.1 vs scratch (3 seeds)`, `… not significant`: the toast's words for the headline gain. */
export function gainPhrase(g: TransferGainView): string {
    const pts = (v: number) => `${Math.abs(v * 100).toFixed(1)}`;
    const spread = g.spread ? ` ± ${pts(g.spread.std)}` : '';
    const against = g.against === 'scratch' ? 'scratch' : 'random features';
    const seeds = g.spread ? ` over ${g.spread.n} seeds${g.significant === false ? ', not significant' : ''}` : '';
    return `${g.value >= 0 ? '+' : '−'}${pts(g.value)}${spread} pts vs ${against}${seeds}`;
}
