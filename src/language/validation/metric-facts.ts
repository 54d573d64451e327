// A `metrics` entry read through the metric registry: the plan the compiler gives it, which the
// validator's duplicate check and the monitors' completion read too, so all three agree on what
// `f1` (= f1 macro) and `top 2` mean.
import { isMetricKind, metricPlan, type MetricPlan } from '../../core/metrics.js';
import type { Metric } from '../generated/ast.js';

/** The metric's plan; undefined only when the grammar let through a word the registry lacks (a stale build). */
export function metricPlanOf(m: Metric): MetricPlan | undefined {
    if (!isMetricKind(m.kind)) return undefined;
    // `top` without its number does not parse; NaN keeps a half-typed entry out of every match.
    return metricPlan(m.kind, { k: m.k ?? NaN, average: m.average });
}
