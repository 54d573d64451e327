// Names a training monitor may take: `val_loss` and `val_<metric>` for the scalar metrics an
// experiment reports (accuracy by default), as the reference spells them (`val_accuracy`,
// `val_f1`, `val_top_2`): an averaged metric is offered bare, a numbered one with its number.
import { metricInfo, metricKey } from '../../core/metrics.js';
import type { Metric } from '../generated/ast.js';
import { metricPlanOf } from '../validation/metric-facts.js';

/** The monitor spelling of a listed metric; undefined for a matrix (`confusion`). */
export function monitorKey(metric: Metric): string | undefined {
    const plan = metricPlanOf(metric);
    if (!plan) return undefined;
    const info = metricInfo(plan.kind);
    if (info.value !== 'scalar') return undefined;
    return info.param ? metricKey(plan) : plan.kind;
}

export function monitorNames(metrics: readonly Metric[]): string[] {
    const names = new Set(['val_loss', 'val_accuracy']);
    for (const m of metrics) {
        const key = monitorKey(m);
        if (key) names.add(`val_${key}`);
    }
    names.add('loss');
    return [...names];
}
