// The best weights of a stage by its monitor: kept in memory (restored at stage end without a
// disk round trip) and saved through the hooks (so a resumed run can still restore them).

import * as tf from '@tensorflow/tfjs';
import type { StagePlan } from '../../core/plan/types.js';
import type { Phase } from '../runs/events.js';
import { restoreWeights, snapshotWeights, type AssembledModel } from './model.js';
import { monitorValue } from './monitor.js';
import type { StageResult, TrainHooks } from './phase-types.js';
import { improved } from './schedules.js';

export class BestCheckpoint {
    private snapshot: tf.Tensor[] | undefined;

    constructor(
        private readonly m: AssembledModel,
        private readonly phase: Phase,
        private readonly stage: StagePlan,
        private readonly monitor: string | undefined,
        private readonly hooks: TrainHooks,
        /** The best so far when resuming inside the stage (its weights are on disk, not in memory). */
        public best?: { value: number; epoch: number }
    ) {}

    /** `epoch` counts from 1. */
    async afterEpoch(metrics: Record<string, number>, epoch: number): Promise<void> {
        if (!this.monitor) return;
        const value = monitorValue(metrics, this.monitor);
        if (value === undefined) {
            if (epoch === 1) this.hooks.log('warning', `monitor ${this.monitor} is not among this epoch's metrics (${Object.keys(metrics).join(', ')}); no checkpoint is kept`, this.stage.at);
        } else if (improved(this.monitor, value, this.best?.value, 0)) {
            this.best = { value, epoch };
            tf.dispose(this.snapshot);
            this.snapshot = snapshotWeights(this.m.model);
            await this.hooks.saveBest({ phase: this.phase, stage: this.stage, epoch, monitor: this.monitor, value });
        }
    }

    /** Stage end: put the best weights back (from memory, else from disk) and record which they were. */
    async restore(result: StageResult): Promise<void> {
        if (!this.best) return;
        result.bestEpoch = this.best.epoch;
        result.bestValue = this.best.value;
        if (this.snapshot) restoreWeights(this.m.model, this.snapshot);
        else if (!(await this.hooks.loadBest(this.phase))) this.hooks.log('warning', `the best weights of stage ${this.stage.name} were not found; keeping the last epoch's`, this.stage.at);
    }

    dispose(): void {
        tf.dispose(this.snapshot);
        this.snapshot = undefined;
    }
}
