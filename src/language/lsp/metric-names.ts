// Names a training monitor may take: `val_loss` and `val_<metric>` for the metrics an experiment
// reports (accuracy by default), as the reference spells them (`val_accuracy`, `val_f1`, …).
import { isF1Metric, isSimpleMetric, isTopKMetric, type Metric } from '../generated/ast.js';

export function metricKey(metric: Metric): string | undefined {
    if (isSimpleMetric(metric)) return metric.name === 'confusion' ? undefined : metric.name;
    if (isF1Metric(metric)) return 'f1';
    if (isTopKMetric(metric)) return `top_${metric.k}`;
    return undefined;
}

export function monitorNames(metrics: readonly Metric[]): string[] {
    const names = new Set(['val_loss', 'val_accuracy']);
    for (const m of metrics) {
        const key = metricKey(m);
        if (key) names.add(`val_${key}`);
    }
    names.add('loss');
    return [...names];
}
