// Monitors name a split and a metric: `val_loss`, `val_accuracy`, `val_top_2`; a bare metric
// (`loss`) is the training split's, as in Keras. Shared by early_stop, checkpoint and a sweep's
// objective, and by completion.
import type { SplitName } from './dataset-facts.js';

/** Scalar metrics a monitor may name (`confusion` is a matrix, so it cannot be monitored). */
export const MONITOR_METRICS = ['loss', 'accuracy', 'precision', 'recall', 'f1', 'auc', 'map'] as const;

export type ParsedMonitor = { ok: true; split: SplitName; metric: string } | { ok: false; reason: string };

export function parseMonitor(monitor: string): ParsedMonitor {
    const match = /^(?:(train|val|test)_)?(.+)$/.exec(monitor);
    const split = (match?.[1] ?? 'train') as SplitName;
    const metric = match?.[2] ?? monitor;
    // Keys as the runtime records them (eval/metrics.ts metricKey): `top_2`, `f1_macro`, and the bare `f1`.
    const known = (MONITOR_METRICS as readonly string[]).includes(metric) || /^top_[1-9][0-9]*$/.test(metric) || /^(precision|recall|f1)_(macro|micro)$/.test(metric);
    if (known) return { ok: true, split, metric };
    return {
        ok: false,
        reason: `unknown metric '${metric}' in monitor \`${monitor}\`: use val_loss, val_accuracy, val_precision, val_recall, val_f1 (or val_f1_macro, …), val_auc, val_map or val_top_<k>`
    };
}

/** Monitor names offered for a dataset with the given splits (completion, messages). */
export function monitorsFor(splits: ReadonlySet<SplitName>): string[] {
    const prefixes = (['val', 'test'] as const).filter((s) => splits.has(s));
    return [...prefixes.flatMap((p) => MONITOR_METRICS.map((m) => `${p}_${m}`)), ...MONITOR_METRICS];
}
