// One `stage` of a phase: apply its freezing, set up its optimizer, schedule and feature strategy,
// run its epochs (checkpoint, early stopping, resume state after each), then end it on the best
// weights with precise BatchNorm statistics.

import type { MetricPlan, StagePlan } from '../../core/plan/types.js';
import { BestCheckpoint } from './best-checkpoint.js';
import { EarlyStopping } from './early-stopping.js';
import { DenseHeadStep } from './dense-head-step.js';
import { chooseFeatureStrategy } from './feature-strategy.js';
import { applyStageFreezing, batchNormInTraining, paramGroups, recalibrateBatchNorm, SpecError } from './model.js';
import { checkpointMonitor } from './monitor.js';
import { GroupOptimizer, type ParamGroups } from './optimizers.js';
import type { PhaseOptions, PhaseState, StageResult } from './phase-types.js';
import { LrScheduler } from './schedules.js';
import { trainEpoch } from './train-epoch.js';

/** Batches over which precise BatchNorm statistics are averaged at the end of a stage. */
export const PRECISE_BN_BATCHES = 50;

export interface StageContext {
    opts: PhaseOptions;
    /** Class weights per head (see trainEpoch). */
    classWeights: (number[] | undefined)[];
    valMetrics: MetricPlan[];
    /** The stages finished before this one (they go into every resume state). */
    done: StageResult[];
}

/** Runs stage `s` on top of the freezing `mask` of the stages before; returns its result and the new mask. */
export async function runStage(c: StageContext, s: number, mask: boolean[] | undefined): Promise<{ result: StageResult; mask: boolean[] }> {
    const { m, plan, data, phase, hooks } = c.opts;
    const stage = plan.stages[s];
    const resuming = c.opts.resume && s === (c.opts.resume.stageIndex ?? 0) ? c.opts.resume : undefined;
    const frozen = applyStageFreezing(m, stage, mask);
    const groups = paramGroups(m);
    // DANN's domain classifier trains with the head's optimizer group.
    if (c.opts.adapt) groups.head.push(...c.opts.adapt.variables);
    if (groups.head.length + groups.backbone.length === 0) throw new SpecError(`stage ${stage.name} has nothing to train`, stage.at);
    hooks.stageStart({ phase, stage, index: s, trainableParams: frozen.trainableParams, trainableLayers: frozen.trainableLayers });
    const result: StageResult = resuming?.current ?? {
        phase, name: stage.name, epochs: stage.epochs, epochsRun: 0, stoppedEarly: false,
        trainableParams: frozen.trainableParams, trainableLayers: frozen.trainableLayers, seconds: 0, history: []
    };
    const stepsPerEpoch = Math.max(1, Math.ceil(data.train.size / stage.batch));
    const monitor = checkpointMonitor(stage);
    result.monitor = monitor;
    const scheduler = new LrScheduler(stage.schedule, stage.optimizer.lr, stage.epochs, stepsPerEpoch, stage.earlyStop?.monitor ?? 'val_loss');
    if (resuming?.scheduler) scheduler.restore(resuming.scheduler);
    // `backbone lr` keeps pretrained layers close to what they learned; random layers have nothing to keep.
    const optimizer = new GroupOptimizer(stage.optimizer, m.trainAll ? undefined : stage.backboneLr, stage.clipNorm);
    // Resuming inside a stage: continue the optimizer's moments, not just the weights.
    if (resuming && resuming.epochsDone > 0) await resumeOptimizer(c.opts, stage, resuming, optimizer, groups);
    const features = await chooseFeatureStrategy(m, plan, data, stage, { cacheFeatures: c.opts.cacheFeatures, adapt: c.opts.adapt, hooks });
    const best = new BestCheckpoint(m, phase, stage, monitor, hooks, resuming?.best);
    const stopping = new EarlyStopping(stage.earlyStop, resuming?.waited ?? 0, resuming?.stoppedEarly ?? false);
    try {
        const heads = plan.head.kind === 'output' ? plan.head.heads : [];
        // A dense head on cached features: its backward in closed form, not through autodiff.
        const dense = features.headOnly ? DenseHeadStep.of(m.heads.map((h) => h.layers), heads, groups) : undefined;
        const denseStep = dense instanceof DenseHeadStep ? dense : undefined;
        const epochContext = { plan, phase, stage, stageIndex: s, heads, classWeights: c.classWeights, valMetrics: c.valMetrics, groups, optimizer, scheduler, features, adapt: c.opts.adapt, hooks, denseStep };
        for (let epoch = resuming?.epochsDone ?? 0; epoch < stage.epochs && !stopping.stopped; epoch++) {
            const record = await trainEpoch(epochContext, epoch);
            result.history.push(record);
            result.epochsRun = epoch + 1;
            result.seconds += record.seconds;
            hooks.epoch({ phase, stage, epoch: epoch + 1, metrics: record.metrics, lr: record.lr, seconds: record.seconds });
            scheduler.endEpoch(record.metrics);
            await best.afterEpoch(record.metrics, epoch + 1);
            if (stopping.afterEpoch(result.history)) {
                result.stoppedEarly = true;
                hooks.log('info', `early stop in stage ${stage.name} after epoch ${epoch + 1}: ${stage.earlyStop!.monitor} did not improve for ${stage.earlyStop!.patience} epochs`, stage.at);
            }
            await hooks.saveState(
                { phase, stageIndex: s, epochsDone: epoch + 1, mask: frozen.mask, scheduler: scheduler.state(), best: best.best, waited: stopping.waited, stoppedEarly: stopping.stopped, done: c.done, current: result },
                await optimizer.snapshot()
            );
        }
        // The best checkpoint first, then precise BatchNorm statistics for the weights the
        // stage ends with (see recalibrateBatchNorm).
        await best.restore(result);
        const bnLayers = batchNormInTraining(m);
        if (bnLayers.length > 0) {
            const calibration = data.train.batches(stage.batch, { shuffle: true, augment: false, seed: plan.seed, epoch: 999_999 });
            // Adapting: the network trained on mixed source+target batches; recompute those statistics, not source-only ones.
            const adapting = c.opts.adapt && features.throughBackbone ? c.opts.adapt : undefined;
            const used = await recalibrateBatchNorm(m, bnLayers, adapting ? adapting.withTargetBatches(calibration, stage.batch) : calibration, PRECISE_BN_BATCHES);
            hooks.log('info', `stage ${stage.name}: BatchNorm statistics recomputed over ${used} training batches`, stage.at);
        }
    } finally {
        best.dispose();
        optimizer.dispose();
        features.dispose();
    }
    return { result, mask: frozen.mask };
}

/** A missing or damaged optimizer state costs the moments, never the run. */
async function resumeOptimizer(opts: PhaseOptions, stage: StagePlan, resuming: PhaseState, optimizer: GroupOptimizer, groups: ParamGroups): Promise<void> {
    let problem: string | undefined;
    try {
        const saved = opts.hooks.loadOptimizer?.(opts.phase);
        if (!saved) problem = 'no optimizer state was saved with it';
        else if (!(await optimizer.restore(saved, groups))) problem = `the saved state is of ${saved.kind}, not ${stage.optimizer.kind}`;
    } catch (err) {
        problem = `the saved optimizer state is unusable: ${(err as Error).message}`;
    }
    if (problem === undefined) opts.hooks.log('info', `stage ${stage.name}: resumed with the optimizer state of epoch ${resuming.epochsDone}`, stage.at);
    else opts.hooks.log('warning', `stage ${stage.name}: resuming after epoch ${resuming.epochsDone}, but ${problem}; ${stage.optimizer.kind} restarts its moments`, stage.at);
}
