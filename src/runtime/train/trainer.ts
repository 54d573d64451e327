// The training loop of one phase (the experiment, or one of its baselines): `train`, then each
// `stage` starting from the weights the previous one ended with. A custom loop (variableGrads +
// optimizer per parameter group) rather than model.fit, which costs much more per step on the
// CPU/WASM backends. The pieces: stage-run.ts (one stage), train-epoch.ts (one epoch),
// feature-strategy.ts (cached features / frozen prefix / full model), best-checkpoint.ts and
// early-stopping.ts (what ends a stage and on which weights).

import type { ExperimentPlan, MetricPlan } from '../../core/plan/types.js';
import type { TrainingData } from './feed.js';
import { metricInfo } from '../../core/metrics.js';
import { classWeights } from './losses.js';
import { applyStageFreezing, recalibrateBatchNorm, type AssembledModel } from './model.js';
import type { PhaseOptions, StageResult } from './phase-types.js';
import { restoreRandom } from './seeded-random.js';
import { PRECISE_BN_BATCHES, runStage } from './stage-run.js';

export { CancelledError, type EpochRecord, type PhaseOptions, type PhaseState, type StageResult, type TrainHooks } from './phase-types.js';
export { checkpointMonitor, monitorValue } from './monitor.js';
export { PRECISE_BN_BATCHES } from './stage-run.js';

export async function trainPhase(opts: PhaseOptions): Promise<StageResult[]> {
    const { m, plan, data, hooks } = opts;
    if (plan.head.kind !== 'output') return [];
    const valMetrics: MetricPlan[] = plan.metrics.filter((mm) => metricInfo(mm.kind).value === 'scalar');
    const results: StageResult[] = [...(opts.resume?.done ?? [])];
    const startStage = opts.resume?.stageIndex ?? 0;
    // Freezing accumulates over stages: a resumed run replays the statements of the stages before.
    let mask: boolean[] | undefined = startStage > 0 ? previousMask(m, plan, startStage) : undefined;
    // A randomly initialised backbone's BatchNorm holds 0/1, statistics of nothing: estimate them
    // on the training data first, so that layers kept in inference mode (frozen) normalise too.
    if (!m.pretrained && !opts.resume && plan.stages.length > 0) {
        const bns = m.backboneLayers.filter((l) => l.getClassName() === 'BatchNormalization');
        const used = await recalibrateBatchNorm(m, bns, data.train.batches(plan.stages[0].batch, { shuffle: true, augment: false, seed: plan.seed, epoch: 999_998 }), PRECISE_BN_BATCHES);
        if (used) hooks.log('info', `the backbone starts from random weights: its BatchNorm statistics were estimated on ${used} training batches`, plan.backbone.at);
    }
    const stageContext = { opts, classWeights: perHeadWeights(plan, data), valMetrics, done: results };
    try {
        for (let s = startStage; s < plan.stages.length; s++) {
            const stage = await runStage(stageContext, s, mask);
            mask = stage.mask;
            results.push(stage.result);
            await hooks.saveState({ phase: opts.phase, stageIndex: s + 1, epochsDone: 0, mask, waited: 0, done: results });
        }
    } finally {
        restoreRandom();
    }
    return results;
}

/** `balance class_weights`: per softmax head, weights that make each class count equally. */
function perHeadWeights(plan: ExperimentPlan, data: TrainingData): (number[] | undefined)[] {
    if (plan.data.balance !== 'class_weights' || plan.head.kind !== 'output') return plan.head.kind === 'output' ? plan.head.heads.map(() => undefined) : [];
    return plan.head.heads.map((h, i) => (h.activation === 'softmax' ? classWeights(data.classCounts[i]) : undefined));
}

/** The mask in force before stage `s` (replaying the freezing statements of stages 0..s-1). */
function previousMask(m: AssembledModel, plan: ExperimentPlan, s: number): boolean[] | undefined {
    let mask: boolean[] | undefined;
    for (let k = 0; k < s; k++) mask = applyStageFreezing(m, plan.stages[k], mask).mask;
    return mask;
}
