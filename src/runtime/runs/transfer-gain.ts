// What the pretrained backbone gave: metric(main) − metric(baseline) per split, and the warning
// when transfer made things worse than training from scratch (negative transfer).

import type { BaselineKind, ExperimentPlan } from '../../core/plan/types.js';
import { scalarMetrics } from '../eval/metrics.js';
import type { StoredMetricValues } from './results.js';
import type { LogFn } from './run-record.js';

/** How each baseline is described in logs and warnings. */
export const BASELINE_WORDS: Record<BaselineKind, string> = {
    scratch: 'from scratch (every layer trained from random weights)',
    random_features: 'with random frozen features (the same freezing over a random backbone)'
};

const fmt4 = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** Per split, per scalar metric except the loss: main − baseline (where both are finite). */
export function transferGain(main: Record<string, StoredMetricValues>, baseline: Record<string, StoredMetricValues>): Record<string, Record<string, number>> {
    const gain: Record<string, Record<string, number>> = {};
    for (const [split, values] of Object.entries(main)) {
        const base = baseline[split];
        if (!base) continue;
        for (const [k, v] of Object.entries(scalarMetrics(values))) {
            const b = base[k];
            if (k === 'loss' || typeof b !== 'number' || !Number.isFinite(v) || !Number.isFinite(b)) continue;
            (gain[split] ??= {})[k] = v - b;
        }
    }
    return gain;
}

/**
 * Negative transfer is judged against what a user would otherwise do: training from scratch.
 * One seed of several (`oneSeedOfMany`) only notes it: the run's summary over all seeds decides.
 */
export function warnNegativeTransfer(
    plan: ExperimentPlan,
    gains: Record<string, Record<string, number>>,
    main: Record<string, StoredMetricValues>,
    scratch: Record<string, StoredMetricValues>,
    oneSeedOfMany: boolean,
    log: LogFn
): void {
    for (const [split, byMetric] of Object.entries(gains)) {
        const worse = Object.entries(byMetric).filter(([, g]) => g < 0);
        if (!worse.length) continue;
        const detail = worse.map(([k, g]) => `${k} ${fmt4(main[split][k] as number)} vs ${fmt4(scratch[split][k] as number)} (gain ${g.toFixed(4)})`).join(', ');
        log(oneSeedOfMany ? 'info' : 'warning', `negative transfer on ${split}: with the pretrained backbone ${detail} ${BASELINE_WORDS.scratch}; check that the source task is related, unfreeze more layers or lower the learning rate`, plan.backbone.at);
    }
}
