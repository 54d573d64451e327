// Which metric a stage watches and how to find it among an epoch's metrics. Shared by the best
// checkpoint and early stopping, which may watch different metrics.

import type { StagePlan } from '../../core/plan/types.js';

/**
 * The monitor of the best checkpoint: `checkpoint best <monitor>`, else early stopping's (Keras'
 * restore_best_weights). Without either, a stage ends with its last epoch's weights.
 */
export function checkpointMonitor(stage: StagePlan): string | undefined {
    return stage.checkpoint?.monitor ?? stage.earlyStop?.monitor;
}

/**
 * Finds a monitor's value; `val_f1` also matches `val_f1_macro` (metric keys carry the averaging).
 * A null (a NaN written to state.json and read back on resume) is NaN again, as it was in memory.
 */
export function monitorValue(metrics: Record<string, number | null>, monitor: string): number | undefined {
    const key = monitor in metrics ? monitor : Object.keys(metrics).find((k) => k.startsWith(`${monitor}_`));
    if (key === undefined) return undefined;
    return metrics[key] ?? NaN;
}
