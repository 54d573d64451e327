// Turns a run's results.json into what the panel shows. The runtime owns results.json; its core
// shape is `{experiment, status, backend, seed, stages, metrics: {<split>: {<metric>: value}},
// baseline?: {metrics}, transferGain?}`. Richer parts (per-class report, confusion matrix,
// misclassified images, heads, episodes, sweep trials) are read where present, under the common
// spellings, so the panel shows whatever a run recorded and never fails on what it did not.

import { readEngine, type EngineInfo } from '../../runtime/runs/engine.js';

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

/** `scratch`, `random_features`, or `legacy`: a run folder written when `baseline scratch` meant the frozen layout. */
export type BaselineViewKind = 'scratch' | 'random_features' | 'legacy';

export const BASELINE_LABELS: Record<BaselineViewKind, { short: string; long: string }> = {
    scratch: { short: 'scratch', long: 'every layer trained from random weights' },
    random_features: { short: 'random features', long: 'the same freezing over a random backbone' },
    legacy: { short: 'random features', long: 'the same freezing over a random backbone (recorded before baselines had kinds)' }
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
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const pick = (o: Obj | undefined, ...keys: string[]): unknown => {
    if (!o) return undefined;
    for (const k of keys) if (o[k] !== undefined) return o[k];
    return undefined;
};

function isMatrix(v: unknown): v is number[][] {
    return Array.isArray(v) && v.length > 0 && v.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'));
}

function readConfusion(v: unknown, classes: string[] | undefined): ConfusionView | undefined {
    if (isMatrix(v)) return { labels: classes && classes.length === v.length ? classes : v.map((_, i) => String(i)), matrix: v };
    if (isObj(v)) {
        const m = pick(v, 'matrix', 'counts', 'values');
        const labels = pick(v, 'labels', 'classes');
        if (isMatrix(m)) {
            const ls = Array.isArray(labels) ? labels.map((x) => String(x)) : classes;
            return readConfusion(m, ls);
        }
    }
    return undefined;
}

function readPerClass(v: unknown, classes: string[] | undefined): ClassReport[] | undefined {
    const row = (label: string, r: Obj): ClassReport | undefined => {
        const precision = num(r.precision);
        const recall = num(r.recall);
        const f1 = num(pick(r, 'f1', 'f1_score', 'f1Score'));
        if (precision === undefined || recall === undefined) return undefined;
        return { label, precision, recall, f1: f1 ?? (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0), support: num(pick(r, 'support', 'count', 'n')) };
    };
    if (Array.isArray(v)) {
        const rows = v.map((r, i) => (isObj(r) ? row(str(pick(r, 'label', 'class', 'name')) ?? classes?.[i] ?? String(i), r) : undefined));
        return rows.every((r) => r) && rows.length ? (rows as ClassReport[]) : undefined;
    }
    if (isObj(v)) {
        // Either {label: {precision, recall, f1}} or column arrays {precision: [], recall: [], f1: []}.
        const p = v.precision;
        if (Array.isArray(p)) {
            const r = v.recall as unknown[];
            const f = (pick(v, 'f1', 'f1_score') ?? []) as unknown[];
            const s = (v.support ?? []) as unknown[];
            const labels = (Array.isArray(v.labels) ? v.labels.map(String) : classes) ?? p.map((_, i) => String(i));
            return p.map((_, i) => row(labels[i] ?? String(i), { precision: p[i], recall: r?.[i], f1: f[i], support: s[i] })).filter((x): x is ClassReport => !!x);
        }
        const rows = Object.entries(v).map(([label, r]) => (isObj(r) ? row(label, r) : undefined));
        return rows.length && rows.every((r) => r) ? (rows as ClassReport[]) : undefined;
    }
    return undefined;
}

/** Scalar metrics of a split; nested structures (confusion, per-class) are picked out separately. */
function scalars(o: unknown): Record<string, number> {
    const out: Record<string, number> = {};
    if (isObj(o)) for (const [k, v] of Object.entries(o)) if (num(v) !== undefined) out[k] = v as number;
    return out;
}

function readSplits(m: unknown): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    if (!isObj(m)) return out;
    const direct = scalars(m);
    // A flat {accuracy: …} is treated as the test split.
    if (Object.keys(direct).length) out.test = direct;
    for (const [split, v] of Object.entries(m)) {
        if (!isObj(v)) continue;
        const s = scalars(v);
        if (Object.keys(s).length) out[split] = s;
    }
    return out;
}

/** Finds a nested value under the split objects first (metrics.test.confusion), then top level. */
function findDeep(r: Obj, keys: string[]): unknown {
    const metrics = isObj(r.metrics) ? r.metrics : undefined;
    for (const split of ['test', 'val', 'evaluation', 'eval']) {
        const s = metrics && isObj(metrics[split]) ? (metrics[split] as Obj) : undefined;
        const v = pick(s, ...keys);
        if (v !== undefined) return v;
    }
    return pick(metrics, ...keys) ?? pick(r, ...keys);
}

function readSpreads(v: unknown): Record<string, Record<string, SpreadView>> {
    const out: Record<string, Record<string, SpreadView>> = {};
    if (!isObj(v)) return out;
    for (const [split, byMetric] of Object.entries(v)) {
        if (!isObj(byMetric)) continue;
        for (const [metric, s] of Object.entries(byMetric)) {
            const std = isObj(s) ? num(s.std) : undefined;
            const n = isObj(s) ? num(s.n) : undefined;
            if (std !== undefined && n !== undefined) (out[split] ??= {})[metric] = { std, n };
        }
    }
    return out;
}

const BASELINE_ORDER: BaselineViewKind[] = ['scratch', 'random_features', 'legacy'];

/** results.json `baselines` ({scratch: {metrics}, …}), or an older run's single `baseline`. */
function readBaselines(raw: Obj): BaselineView[] | undefined {
    const seeds = isObj(raw.seeds) ? raw.seeds : undefined;
    const spreads = isObj(seeds?.baselines) ? (seeds!.baselines as Obj) : undefined;
    const out: BaselineView[] = [];
    if (isObj(raw.baselines)) {
        for (const kind of ['scratch', 'random_features'] as const) {
            const b = raw.baselines[kind];
            if (!isObj(b)) continue;
            const spread = readSpreads(spreads?.[kind]);
            out.push({ kind, metrics: readSplits(pick(b, 'metrics') ?? b), ...(Object.keys(spread).length ? { spread } : {}) });
        }
    } else if (isObj(raw.baseline)) out.push({ kind: 'legacy', metrics: readSplits(pick(raw.baseline, 'metrics') ?? raw.baseline) });
    return out.length ? out : undefined;
}

/** The headline (test accuracy, else the first) of a `{<split>: {<metric>: gain}}` table. */
function headlineGain(g: Obj, against: BaselineViewKind, metrics: Record<string, Record<string, number>>, base: Record<string, Record<string, number>> | undefined, spreads: Obj | undefined): TransferGainView | undefined {
    const split = isObj(g.test) ? 'test' : Object.keys(g).find((k) => isObj(g[k]));
    if (!split) return undefined;
    const gains = g[split] as Obj;
    const metric = num(gains.accuracy) !== undefined ? 'accuracy' : Object.keys(gains).find((k) => num(gains[k]) !== undefined);
    if (!metric) return undefined;
    const s = isObj(spreads?.[split]) ? ((spreads![split] as Obj)[metric] as unknown) : undefined;
    const std = isObj(s) ? num(s.std) : undefined;
    const n = isObj(s) ? num(s.n) : undefined;
    return {
        metric: split === 'test' ? metric : `${split} ${metric}`, value: gains[metric] as number, experiment: metrics[split]?.[metric], baseline: base?.[split]?.[metric], against,
        ...(std !== undefined && n !== undefined && n > 1 ? { spread: { std, n }, significant: isObj(s) && typeof s.significant === 'boolean' ? s.significant : Math.abs(gains[metric] as number) > std } : {})
    };
}

/** One headline gain per baseline: results.json `transferGain` {kind: {split: {metric}}}, or an older run's flat table. */
function readGains(r: Obj, metrics: Record<string, Record<string, number>>, baselines: BaselineView[] | undefined): TransferGainView[] {
    const g = pick(r, 'transferGain', 'transfer_gain');
    const seeds = isObj(r.seeds) ? r.seeds : undefined;
    const spreads = isObj(seeds?.transferGain) ? (seeds!.transferGain as Obj) : undefined;
    const baseOf = (k: BaselineViewKind) => baselines?.find((b) => b.kind === k)?.metrics;
    const out: TransferGainView[] = [];
    if (isObj(g) && (isObj(g.scratch) || isObj(g.random_features))) {
        for (const kind of ['scratch', 'random_features'] as const) {
            const t = g[kind];
            if (!isObj(t)) continue;
            const v = headlineGain(t, kind, metrics, baseOf(kind), isObj(spreads?.[kind]) ? (spreads![kind] as Obj) : undefined);
            if (v) out.push(v);
        }
        return out;
    }
    // Older run folders: one gain against the frozen-layout baseline.
    const legacy = baseOf('legacy');
    const n = num(g);
    if (n !== undefined) {
        const metric = metrics.test?.accuracy !== undefined ? 'accuracy' : (Object.keys(metrics.test ?? {})[0] ?? 'accuracy');
        return [{ metric, value: n, experiment: metrics.test?.[metric], baseline: legacy?.test?.[metric], against: 'legacy' }];
    }
    if (isObj(g) && Object.values(g).some(isObj)) {
        const v = headlineGain(g, 'legacy', metrics, legacy, undefined);
        return v ? [v] : [];
    }
    if (isObj(g)) {
        const entries = Object.entries(g).filter(([, v]) => num(v) !== undefined);
        if (entries.length) {
            const [metric, v] = entries.find(([k]) => k === 'accuracy') ?? entries[0]!;
            return [{ metric, value: v as number, experiment: metrics.test?.[metric], baseline: legacy?.test?.[metric], against: 'legacy' }];
        }
    }
    // No recorded gain but both sides known: compute it the obvious way.
    for (const b of baselines ?? []) {
        const a = metrics.test?.accuracy;
        const v = b.metrics.test?.accuracy;
        if (a !== undefined && v !== undefined) out.push({ metric: 'accuracy', value: a - v, experiment: a, baseline: v, against: b.kind });
    }
    return out;
}

function readSeeds(raw: Obj): SeedsView | undefined {
    const s = raw.seeds;
    if (!isObj(s) || !Array.isArray(s.values)) return undefined;
    const runs = Array.isArray(s.runs) ? s.runs.filter(isObj) : [];
    return {
        values: s.values.filter((v): v is number => num(v) !== undefined),
        completed: runs.filter((r) => r.status === 'completed').map((r) => num(r.seed)).filter((v): v is number => v !== undefined),
        spread: readSpreads(s.metrics)
    };
}

function readMisclassified(v: unknown, runDir: string | undefined, classes: string[] | undefined): MisclassifiedView[] | undefined {
    if (!Array.isArray(v)) return undefined;
    const label = (x: unknown) => (typeof x === 'number' && classes?.[x] !== undefined ? classes[x]! : (str(x) ?? '?'));
    const out: MisclassifiedView[] = [];
    for (const m of v) {
        if (!isObj(m)) continue;
        let image = str(pick(m, 'image', 'file', 'path', 'src'));
        if (!image) continue;
        if (!image.startsWith('data:') && !image.startsWith('/') && runDir) image = `${runDir.replace(/\/$/, '')}/${image}`;
        out.push({ image, trueLabel: label(pick(m, 'trueLabel', 'true', 'label', 'actual')), predicted: label(pick(m, 'predicted', 'pred', 'prediction')), confidence: num(pick(m, 'confidence', 'score', 'probability')), split: str(m.split), source: str(m.source) });
    }
    return out.length ? out : undefined;
}

function readEpisodes(v: unknown): EpisodesView | undefined {
    if (!isObj(v)) return undefined;
    const accuracy = num(pick(v, 'accuracy', 'mean', 'meanAccuracy'));
    if (accuracy === undefined) return undefined;
    let ci95 = num(pick(v, 'ci95', 'ci', 'confidence95', 'interval'));
    const ciArr = pick(v, 'ci95', 'ci');
    if (ci95 === undefined && Array.isArray(ciArr) && ciArr.length === 2) ci95 = (Number(ciArr[1]) - Number(ciArr[0])) / 2;
    return { accuracy, ci95, std: num(v.std), episodes: num(pick(v, 'episodes', 'n')), way: num(v.way), shot: num(v.shot), query: num(v.query) };
}

/**
 * The runtime's sweep.json (src/runtime/sweep/run-sweep.ts SweepRecord): `{sweep, experiment,
 * objective: {direction, monitor}, status, trials: [{name, values, status, objective?, rank?,
 * runDir?, seconds?, error?}], best?: <trial name>, seconds}`, already ranked best first.
 */
function readSweep(r: Obj): SweepView | undefined {
    const trials = pick(r, 'trials', 'runs');
    if (!Array.isArray(trials)) return undefined;
    const obj = isObj(r.objective) ? r.objective : undefined;
    const direction: 'max' | 'min' | undefined = obj?.direction === 'max' ? 'max' : obj?.direction === 'min' ? 'min' : undefined;
    const objective = direction && typeof obj?.monitor === 'string' ? { direction, monitor: obj.monitor } : undefined;
    const bestName = str(r.best);
    const out: SweepTrialView[] = [];
    for (const t of trials) {
        if (!isObj(t)) continue;
        const params: Record<string, number | string> = {};
        const p = pick(t, 'values', 'params', 'vary');
        if (isObj(p)) for (const [k, v] of Object.entries(p)) if (typeof v === 'number' || typeof v === 'string') params[k] = v;
        const name = str(pick(t, 'name', 'trial'));
        out.push({
            name, params, value: num(pick(t, 'objective', 'value', 'score')), rank: num(t.rank), status: str(t.status), runDir: str(pick(t, 'runDir', 'run')),
            seconds: num(t.seconds), error: str(t.error), best: t.best === true || (bestName !== undefined && name === bestName)
        });
    }
    if (!out.some((t) => t.best) && objective) {
        const scored = out.filter((t) => t.value !== undefined);
        if (scored.length) {
            const best = scored.reduce((a, b) => ((objective.direction === 'max' ? b.value! > a.value! : b.value! < a.value!) ? b : a));
            best.best = true;
        }
    }
    // Best first, whatever order the file lists them in: ranked trials by rank (or by value when
    // no ranks were written), then the trials without a value in their own order.
    const sign = objective?.direction === 'min' ? 1 : -1;
    const order = out.map((t, i) => ({ t, i })).sort((a, b) => {
        const ka = a.t.rank ?? (a.t.value !== undefined && objective ? 0 : undefined);
        const kb = b.t.rank ?? (b.t.value !== undefined && objective ? 0 : undefined);
        if (ka === undefined || kb === undefined) return ka === undefined && kb === undefined ? a.i - b.i : ka === undefined ? 1 : -1;
        if (a.t.rank !== undefined && b.t.rank !== undefined) return a.t.rank - b.t.rank;
        return a.t.value !== undefined && b.t.value !== undefined && a.t.value !== b.t.value ? sign * (a.t.value - b.t.value) : a.i - b.i;
    });
    return { sweep: str(r.sweep), experiment: str(r.experiment), objective, trials: order.map((x) => x.t) };
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

/**
 * @param headNames names of the output heads in order (from the run's plan.json), used to split a
 *   multi-task run's `<head>_<metric>` values into per-head sections.
 */
export function readResults(raw: unknown, runDir?: string, classesHint?: string[], headNames?: string[]): ResultsView {
    if (!isObj(raw)) return { metrics: {}, engine: readEngine(undefined), error: 'results.json is not a JSON object' };
    // `classes` is one list per head (the runtime's results.json) or a plain list.
    const classLists: string[][] | undefined = Array.isArray(raw.classes) ? (raw.classes.every((c) => Array.isArray(c)) ? (raw.classes as unknown[][]).map((l) => l.map(String)) : [raw.classes.map(String)]) : undefined;
    const classes = classLists?.[0] ?? classesHint;
    const metrics = readSplits(raw.metrics);
    const baselines = readBaselines(raw);
    const seeds = readSeeds(raw);
    const view: ResultsView = {
        experiment: str(raw.experiment),
        status: str(raw.status),
        backend: str(raw.backend),
        engine: readEngine(raw),
        seed: num(raw.seed),
        seconds: num(pick(raw, 'seconds', 'wallSeconds', 'durationSeconds')),
        metrics,
        ...(baselines ? { baselines } : {}),
        ...(seeds ? { seeds } : {}),
        perClass: readPerClass(findDeep(raw, ['perClass', 'per_class', 'classReport', 'classes_report']), classes),
        confusion: readConfusion(findDeep(raw, ['confusion', 'confusionMatrix', 'confusion_matrix']), classes),
        misclassified: readMisclassified(findDeep(raw, ['misclassified', 'errors', 'mistakes']), runDir, classes),
        episodes: readEpisodes(findDeep(raw, ['episodes', 'fewShot', 'few_shot'])),
        sweep: readSweep(raw),
        error: str(isObj(raw.error) ? raw.error.message : raw.error)
    };
    // The runtime records the episode summary as `metrics.episodes`; it has its own section, so it
    // is not also a column of the metrics table (where `ci95`/`std`/`episodes` read as nonsense).
    if (view.episodes && isObj(raw.metrics) && isObj((raw.metrics as Obj).episodes)) delete metrics.episodes;
    const gains = readGains(raw, metrics, baselines);
    if (gains.length) {
        view.gains = gains.sort((a, b) => BASELINE_ORDER.indexOf(a.against) - BASELINE_ORDER.indexOf(b.against));
        view.transferGain = view.gains[0];
    }
    // results.json `thresholds`: one list per head (classes in the order of `classes`), or one list.
    if (Array.isArray(raw.thresholds) && raw.thresholds.length) {
        const lists = raw.thresholds.every((t) => Array.isArray(t)) ? (raw.thresholds as unknown[][]) : [raw.thresholds];
        const out = lists
            .map((l, i) => ({ head: headNames && headNames.length > 1 ? headNames[i] : undefined, values: l.filter((x): x is number => num(x) !== undefined), labels: classLists?.[i] }))
            .filter((t) => t.values.length);
        if (out.length) view.thresholds = out;
    }
    if (!view.perClass && view.confusion) view.perClass = perClassFromConfusion(view.confusion);
    if (!raw.heads && headNames && headNames.length > 1) {
        // Multi-task: the runtime prefixes each head's metrics with its name.
        const test = isObj(raw.metrics) && isObj((raw.metrics as Obj).test) ? ((raw.metrics as Obj).test as Obj) : undefined;
        view.heads = headNames.map((name, i) => {
            const m: Record<string, number> = {};
            let confusion: ConfusionView | undefined;
            for (const [k, v] of Object.entries(test ?? {})) {
                if (!k.startsWith(`${name}_`)) continue;
                const key = k.slice(name.length + 1);
                if (num(v) !== undefined) m[key] = v as number;
                else if (key === 'confusion') confusion = readConfusion(v, classLists?.[i]);
            }
            return { name, metrics: m, confusion, perClass: confusion ? perClassFromConfusion(confusion) : undefined };
        });
    }
    const heads = pick(raw, 'heads');
    if (isObj(heads) || Array.isArray(heads)) {
        const entries: [string, unknown][] = Array.isArray(heads) ? heads.map((h, i) => [str(isObj(h) ? h.name : undefined) ?? `head ${i + 1}`, h]) : Object.entries(heads);
        view.heads = entries.filter(([, h]) => isObj(h)).map(([name, h]) => {
            const ho = h as Obj;
            const hClasses = Array.isArray(ho.classes) ? ho.classes.map(String) : undefined;
            const m = readSplits(ho.metrics ?? ho);
            const split = m.test ?? Object.values(m)[0] ?? {};
            const deep = (keys: string[]) => pick(isObj(ho.metrics) && isObj((ho.metrics as Obj).test) ? ((ho.metrics as Obj).test as Obj) : undefined, ...keys) ?? pick(ho, ...keys);
            return { name, metrics: split, perClass: readPerClass(deep(['perClass', 'per_class']), hClasses), confusion: readConfusion(deep(['confusion', 'confusionMatrix']), hClasses) };
        });
        if (!view.heads.length) delete view.heads;
    }
    return view;
}

/** `+5.2 pts ± 1.1 vs scratch (3 seeds)`, `… not significant`: the toast's words for the headline gain. */
export function gainPhrase(g: TransferGainView): string {
    const pts = (v: number) => `${Math.abs(v * 100).toFixed(1)}`;
    const spread = g.spread ? ` ± ${pts(g.spread.std)}` : '';
    const against = g.against === 'scratch' ? 'scratch' : 'random features';
    const seeds = g.spread ? ` over ${g.spread.n} seeds${g.significant === false ? ', not significant' : ''}` : '';
    return `${g.value >= 0 ? '+' : '−'}${pts(g.value)}${spread} pts vs ${against}${seeds}`;
}
