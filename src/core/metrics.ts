// The metric registry: every metric Graft reports, in one list. Its names are the spec's words
// (the grammar's `Metric` rule and the TextMate scopes are generated from this list by
// scripts/registry-rules.ts); its docs are hover's; `param`, `averaged` and `tasks` are the
// validator's checks; `key` is the name a value has in results.json, in epoch events and in
// monitors (`val_top_2`, `val_f1_macro`); `exported` feeds the export refusals. The runtime
// computes each entry (src/runtime/eval/metrics.ts, typed so a missing one does not compile).
// Adding a metric: an entry here, its computation there, and their tests.

import type { Task } from './plan/task.js';

export type Averaging = 'macro' | 'micro';
export const AVERAGINGS: readonly Averaging[] = ['macro', 'micro'];
/** What `f1` means without `macro`/`micro`. */
export const DEFAULT_AVERAGING: Averaging = 'macro';

export interface MetricInfo {
    readonly doc: string;
    /** A positive whole number written after the name (`top 3`), kept in the plan under this name. */
    readonly param?: { readonly name: 'k'; readonly doc: string };
    /** Takes `macro` or `micro` (default macro), and its key carries it (`f1_macro`). */
    readonly averaged: boolean;
    /** A number (monitorable, averaged over seeds) or a matrix (shown, never monitored). */
    readonly value: 'scalar' | 'matrix';
    /** The tasks it is defined for; for another task it is left out, and the validator says so. */
    readonly tasks: readonly Task[];
    /** Whether the exported PyTorch/Keras scripts compute it. */
    readonly exported: boolean;
}

// Written out literally (no shared constants): the JSON Schema generator reads these types.
export const METRICS = {
    accuracy: {
        doc: 'Fraction of images whose predicted class is right (multi-label: fraction of right per-tag decisions).',
        averaged: false,
        value: 'scalar',
        tasks: ['single_label', 'multi_label'],
        exported: true
    },
    top: {
        doc: '`top <k>`: the true class is among the k most probable.',
        param: { name: 'k', doc: 'How many of the most probable classes count as a hit; at most the number of classes.' },
        averaged: false,
        value: 'scalar',
        tasks: ['single_label'],
        exported: true
    },
    precision: {
        doc: 'Precision: of the images predicted as a class, the fraction that belong to it.',
        averaged: true,
        value: 'scalar',
        tasks: ['single_label', 'multi_label'],
        exported: true
    },
    recall: {
        doc: 'Recall: of the images of a class, the fraction predicted as it.',
        averaged: true,
        value: 'scalar',
        tasks: ['single_label', 'multi_label'],
        exported: true
    },
    f1: {
        doc: 'F1 score: harmonic mean of precision and recall.',
        averaged: true,
        value: 'scalar',
        tasks: ['single_label', 'multi_label'],
        exported: true
    },
    auc: {
        doc: 'Area under the ROC curve, one-vs-rest per class, averaged over the classes where it is defined.',
        averaged: false,
        value: 'scalar',
        tasks: ['single_label', 'multi_label'],
        exported: false
    },
    map: {
        doc: 'Mean average precision over classes or tags (the multi-label default).',
        averaged: false,
        value: 'scalar',
        tasks: ['single_label', 'multi_label'],
        exported: false
    },
    confusion: {
        doc: 'The confusion matrix (rows: true class, columns: predicted class).',
        averaged: false,
        value: 'matrix',
        tasks: ['single_label'],
        exported: true
    }
} as const satisfies Record<string, MetricInfo>;

export type MetricKind = keyof typeof METRICS;
export const METRIC_KINDS = Object.keys(METRICS) as MetricKind[];

type Info<K extends MetricKind> = (typeof METRICS)[K];
type ParamName<K extends MetricKind> = Info<K> extends { param: { name: infer N extends string } } ? N : never;
type AveragingName<K extends MetricKind> = Info<K> extends { averaged: true } ? 'average' : never;
type PlanOf<K extends MetricKind> = { kind: K } & { [P in ParamName<K>]: number } & { [P in AveragingName<K>]: Averaging };

/** A metric as the plan holds it: its kind, its parameter (`k`) and its averaging where it has them. */
export type MetricPlan = { [K in MetricKind]: PlanOf<K> }[MetricKind];

export function metricInfo(kind: MetricKind): MetricInfo {
    return METRICS[kind];
}

export function isMetricKind(word: string): word is MetricKind {
    return Object.prototype.hasOwnProperty.call(METRICS, word);
}

/** The plan of a metric as the spec writes it: `f1` → f1 macro; `top 3` → k 3. */
export function metricPlan(kind: MetricKind, given: { k?: number; average?: Averaging }): MetricPlan {
    const info = metricInfo(kind);
    const plan: Record<string, unknown> = { kind };
    if (info.param) plan[info.param.name] = given.k;
    if (info.averaged) plan.average = given.average ?? DEFAULT_AVERAGING;
    return plan as MetricPlan;
}

/** The metric an experiment reports when its spec lists none. */
export function defaultMetric(task: Task): MetricPlan {
    return metricPlan(task === 'multi_label' ? 'map' : 'accuracy', {});
}

/** The key a metric has in results.json, epoch events and `val_<key>` monitors: `accuracy`, `top_2`, `f1_macro`. */
export function metricKey(m: MetricPlan): string {
    const info = metricInfo(m.kind);
    const values = m as unknown as Record<string, unknown>;
    const parts: string[] = [m.kind];
    if (info.param) parts.push(String(values[info.param.name]));
    if (info.averaged) parts.push(String(values.average));
    return parts.join('_');
}

/** The spec's words for a metric plan: `top 2`, `f1 macro`. */
export function metricText(m: MetricPlan): string {
    return metricKey(m).replace(/_/g, ' ');
}

/** `accuracy, top <k>, precision [macro|micro], …`: the `metrics` statement's forms. */
export function metricSyntax(): string {
    return METRIC_KINDS.map((kind) => {
        const info = metricInfo(kind);
        return [kind, info.param ? `<${info.param.name}>` : '', info.averaged ? `[${AVERAGINGS.join('|')}]` : ''].filter(Boolean).join(' ');
    }).join(', ');
}

/** The scalar metrics, which monitors may name (`val_<metric>`). */
export const SCALAR_METRICS: readonly MetricKind[] = METRIC_KINDS.filter((k) => METRICS[k].value === 'scalar');

/**
 * Reads the metric part of a monitor (`accuracy`, `top_2`, `f1`, `f1_macro`) against the registry:
 * a scalar metric, its parameter when it has one, its averaging optionally (a bare `f1` matches
 * whichever averaging was computed). Undefined when it names no metric.
 */
export function monitorMetric(word: string): MetricKind | undefined {
    const [kind, ...rest] = word.split('_');
    // Keys of kinds that contain '_' (none today) would be matched whole first.
    if (isMetricKind(word) && METRICS[word].value === 'scalar' && !metricInfo(word).param) return word;
    if (kind === undefined || !isMetricKind(kind) || METRICS[kind].value !== 'scalar') return undefined;
    const info = metricInfo(kind);
    let i = 0;
    if (info.param) {
        if (!/^[1-9][0-9]*$/.test(rest[i] ?? '')) return undefined;
        i++;
    }
    if (info.averaged && i < rest.length && (AVERAGINGS as readonly string[]).includes(rest[i]!)) i++;
    return i === rest.length ? kind : undefined;
}
