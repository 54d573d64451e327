// Learning-rate schedules. All but `plateau` are pure functions of the position in the stage;
// positions are counted in steps (batches) so that warmup and one_cycle move smoothly within an
// epoch, while `step` changes only at epoch boundaries. `plateau` reacts to the monitored value
// at the end of each epoch, so it is a small state machine.

import type { SchedulePlan } from '../../core/plan/types.js';

/** One-cycle shape as in PyTorch's OneCycleLR defaults: 30 % rise, start at lr/25, end at lr/25e4. */
const ONE_CYCLE = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 };

function cosineBetween(from: number, to: number, t: number): number {
    return to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, t))))) / 2;
}

export interface SchedulePosition {
    /** 0-based epoch within the stage. */
    epoch: number;
    /** 0-based step within the epoch. */
    step: number;
    epochs: number;
    stepsPerEpoch: number;
}

/** The learning rate at a position, for every schedule except plateau's reductions (applied by LrScheduler). */
export function scheduledLr(schedule: SchedulePlan, baseLr: number, pos: SchedulePosition): number {
    const total = Math.max(1, pos.epochs * pos.stepsPerEpoch);
    const k = pos.epoch * pos.stepsPerEpoch + pos.step;
    switch (schedule.kind) {
        case 'constant':
        case 'plateau':
            return baseLr;
        case 'step':
            return baseLr * Math.pow(schedule.factor, Math.floor(pos.epoch / Math.max(1, schedule.every)));
        case 'cosine': {
            // Linear warmup over `warmup` epochs reaching baseLr at its last step, then cosine to 0.
            const warm = Math.min(total - 1, Math.round(schedule.warmup * pos.stepsPerEpoch));
            if (k < warm) return (baseLr * (k + 1)) / warm;
            return cosineBetween(baseLr, 0, (k - warm) / Math.max(1, total - warm));
        }
        case 'one_cycle': {
            const initial = baseLr / ONE_CYCLE.divFactor;
            const final = initial / ONE_CYCLE.finalDivFactor;
            const peak = Math.max(1, Math.round(ONE_CYCLE.pctStart * total) - 1);
            if (k <= peak) return cosineBetween(initial, baseLr, k / peak);
            return cosineBetween(baseLr, final, (k - peak) / Math.max(1, total - 1 - peak));
        }
    }
}

/** Whether a monitored value improved: losses go down, everything else goes up. */
export function improved(monitor: string, value: number, best: number | undefined, minDelta = 0): boolean {
    if (best === undefined || !Number.isFinite(best)) return Number.isFinite(value);
    return lowerIsBetter(monitor) ? value < best - minDelta : value > best + minDelta;
}

export function lowerIsBetter(monitor: string): boolean {
    return /(^|_)loss$/.test(monitor);
}

/** Tracks a stage's schedule, including plateau's multiplicative reductions. */
export class LrScheduler {
    private factor = 1;
    private best: number | undefined;
    private waited = 0;

    constructor(
        readonly schedule: SchedulePlan,
        readonly baseLr: number,
        readonly epochs: number,
        readonly stepsPerEpoch: number,
        /** What plateau watches (the stage's early-stop monitor, else val_loss). */
        readonly monitor = 'val_loss'
    ) {}

    lr(epoch: number, step: number): number {
        return this.factor * scheduledLr(this.schedule, this.baseLr, { epoch, step, epochs: this.epochs, stepsPerEpoch: this.stepsPerEpoch });
    }

    /** Called after each epoch with its metrics; plateau reduces the LR after `patience` epochs without improvement. */
    endEpoch(metrics: Record<string, number>): void {
        if (this.schedule.kind !== 'plateau') return;
        const value = metrics[this.monitor];
        if (value === undefined) return;
        if (improved(this.monitor, value, this.best)) {
            this.best = value;
            this.waited = 0;
        } else if (++this.waited >= this.schedule.patience) {
            this.factor *= this.schedule.factor;
            this.waited = 0;
        }
    }

    /** For resume: the state that is not a function of the position. */
    state(): { factor: number; best?: number; waited: number } {
        return { factor: this.factor, best: this.best, waited: this.waited };
    }

    restore(s: { factor: number; best?: number; waited: number }): void {
        this.factor = s.factor;
        this.best = s.best;
        this.waited = s.waited;
    }
}

/** The LR at the first step of each epoch (for `graft plan` and tests). */
export function epochCurve(schedule: SchedulePlan, baseLr: number, epochs: number, stepsPerEpoch = 1): number[] {
    return Array.from({ length: epochs }, (_, e) => scheduledLr(schedule, baseLr, { epoch: e, step: 0, epochs, stepsPerEpoch }));
}
