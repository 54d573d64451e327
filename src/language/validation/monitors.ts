// Monitors name a split and a metric: `val_loss`, `val_accuracy`, `val_top_2`; a bare metric
// (`loss`) is the training split's, as in Keras. Shared by early_stop, checkpoint and a sweep's
// objective, and by completion.
import { AVERAGINGS, metricInfo, monitorMetric, SCALAR_METRICS } from '../../core/metrics.js';
import { listText } from '../../core/util/list-text.js';
import type { SplitName } from './dataset-facts.js';

/** What a monitor may name bare: the loss and the registry's scalar metrics without a number (`confusion` is a matrix, `top` needs its k). */
export const MONITOR_METRICS: readonly string[] = ['loss', ...SCALAR_METRICS.filter((k) => !metricInfo(k).param)];

/** `val_loss, val_accuracy, val_top_<k>, … (precision, recall and f1 may end in _macro or _micro)`: the spellings as messages list them. */
function monitorSpellings(): string {
    const words = ['val_loss', ...SCALAR_METRICS.map((k) => (metricInfo(k).param ? `val_${k}_<${metricInfo(k).param!.name}>` : `val_${k}`))];
    const averaged = SCALAR_METRICS.filter((k) => metricInfo(k).averaged);
    return `${listText(words, 'or')} (${listText(averaged)} may end in ${listText(AVERAGINGS.map((a) => `_${a}`), 'or')})`;
}

export type ParsedMonitor = { ok: true; split: SplitName; metric: string } | { ok: false; reason: string };

export function parseMonitor(monitor: string): ParsedMonitor {
    const match = /^(?:(train|val|test)_)?(.+)$/.exec(monitor);
    const split = (match?.[1] ?? 'train') as SplitName;
    const metric = match?.[2] ?? monitor;
    // Keys as the runtime records them (core/metrics.ts metricKey): `top_2`, `f1_macro`, and the bare `f1`.
    const known = metric === 'loss' || monitorMetric(metric) !== undefined;
    if (known) return { ok: true, split, metric };
    return {
        ok: false,
        reason: `unknown metric '${metric}' in monitor \`${monitor}\`: use ${monitorSpellings()}`
    };
}

/** Monitor names offered for a dataset with the given splits (completion, messages). */
export function monitorsFor(splits: ReadonlySet<SplitName>): string[] {
    const prefixes = (['val', 'test'] as const).filter((s) => splits.has(s));
    return [...prefixes.flatMap((p) => MONITOR_METRICS.map((m) => `${p}_${m}`)), ...MONITOR_METRICS];
}
