// The data a training phase exchanges with its caller: what it records per stage and epoch, where
// it is (for `--resume`), and the hooks through which the run folder and events see it. Kept apart
// from the loop so that every piece of the loop (stage, epoch, features, stopping) can share them.

import type { ExperimentPlan, StagePlan } from '../../core/plan/types.js';
import type { Phase } from '../runs/events.js';
import type { TrainingData } from './feed.js';
import type { AssembledModel } from './model.js';
import type { OptimizerSnapshot } from './optimizers.js';
import type { LrScheduler } from './schedules.js';
import type { Adaptation } from '../transfer/adapt-step.js';

export class CancelledError extends Error {
    constructor() {
        super('cancelled');
    }
}

export interface EpochRecord {
    epoch: number;
    lr: number;
    /** Train and `val_*` metrics; a NaN one (e.g. val_auc without positives) is null once saved. */
    metrics: Record<string, number | null>;
    seconds: number;
}

export interface StageResult {
    phase: Phase;
    name: string;
    epochs: number;
    epochsRun: number;
    stoppedEarly: boolean;
    monitor?: string;
    bestEpoch?: number;
    bestValue?: number;
    trainableParams: number;
    trainableLayers: string[];
    seconds: number;
    history: EpochRecord[];
}

/** Where a phase is, saved after every epoch so that `--resume` can continue. */
export interface PhaseState {
    phase: Phase;
    stageIndex: number;
    /** Epochs completed in the current stage. */
    epochsDone: number;
    mask?: boolean[];
    scheduler?: ReturnType<LrScheduler['state']>;
    best?: { value: number; epoch: number };
    waited: number;
    stoppedEarly?: boolean;
    done: StageResult[];
    current?: StageResult;
}

export interface TrainHooks {
    stageStart(info: { phase: Phase; stage: StagePlan; index: number; trainableParams: number; trainableLayers: string[] }): void;
    epoch(info: { phase: Phase; stage: StagePlan; epoch: number; metrics: Record<string, number>; lr: number; seconds: number }): void;
    /** The monitored value improved: persist the weights; returns where they went. */
    saveBest(info: { phase: Phase; stage: StagePlan; epoch: number; monitor: string; value: number }): Promise<string | undefined>;
    /** The best weights saved for this phase's current stage (resume after a restart lost the in-memory copy). */
    loadBest(phase: Phase): Promise<boolean>;
    /** After every epoch: persist weights, state and the optimizer's moments for `--resume`. */
    saveState(state: PhaseState, optimizer?: OptimizerSnapshot): Promise<void>;
    /** The optimizer state saved with this phase's last weights, if any. */
    loadOptimizer?(phase: Phase): OptimizerSnapshot | undefined;
    log(level: 'info' | 'warning' | 'error', message: string, at?: StagePlan['at']): void;
    cancelled(): boolean;
}

export interface PhaseOptions {
    m: AssembledModel;
    plan: ExperimentPlan;
    data: TrainingData;
    phase: Phase;
    /**
     * Baseline: the backbone started from random weights, so its BatchNorm layers have no
     * statistics to keep and `batchnorm frozen` does not hold them (m.pretrained is false).
     * Which layers train is the model's business (m.trainAll for `baseline scratch`).
     */
    scratch: boolean;
    hooks: TrainHooks;
    resume?: PhaseState;
    /** `adapt to`: target batches beside each source batch and the adaptation term (main phase only). */
    adapt?: Adaptation;
    /** Compute a frozen backbone's features once per stage (default true). */
    cacheFeatures?: boolean;
}
