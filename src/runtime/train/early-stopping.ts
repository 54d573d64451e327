// `early_stop`: ends a stage when its monitor has not improved by min_delta for `patience` epochs.
// It has its own min_delta, so it tracks its own best rather than the best checkpoint's.

import type { StagePlan } from '../../core/plan/types.js';
import type { EpochRecord } from './phase-types.js';
import { monitorValue } from './monitor.js';
import { improved } from './schedules.js';

type EarlyStop = NonNullable<StagePlan['earlyStop']>;

export class EarlyStopping {
    /**
     * `waited`: epochs without improvement so far (resuming inside a stage continues the count);
     * `stopped`: the stage already stopped (a resumed state saved after its last epoch).
     */
    constructor(
        /** Without `early_stop` nothing stops; the counters still go into the resume state. */
        private readonly rule: EarlyStop | undefined,
        public waited = 0,
        public stopped = false
    ) {}

    /** After an epoch whose record is the last of `history`: true when the stage stops now. */
    afterEpoch(history: EpochRecord[]): boolean {
        if (!this.rule) return false;
        const current = history[history.length - 1];
        const value = monitorValue(current.metrics, this.rule.monitor);
        // A monitor missing from this epoch's metrics neither waits nor resets.
        if (value === undefined) return false;
        const best = history
            .slice(0, -1)
            .map((h) => monitorValue(h.metrics, this.rule!.monitor))
            .filter((v): v is number => v !== undefined)
            .reduce<number | undefined>((b, v) => (improved(this.rule!.monitor, v, b, 0) ? v : b), undefined);
        if (improved(this.rule.monitor, value, best, this.rule.minDelta)) this.waited = 0;
        else if (++this.waited >= this.rule.patience) this.stopped = true;
        return this.stopped;
    }
}
