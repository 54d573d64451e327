// One epoch of a stage: every training batch through one optimizer step, then the val split.
// Returns the epoch's record (train loss/accuracy, the adaptation term, val_* metrics).

import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan, MetricPlan, OutputHeadPlan, StagePlan } from '../../core/plan/types.js';
import type { Phase } from '../runs/events.js';
import { metricsOf, predictSplit } from '../eval/evaluate.js';
import { scalarMetrics } from '../eval/metrics.js';
import type { DenseHeadStep } from './dense-head-step.js';
import type { FeatureStrategy } from './feature-strategy.js';
import { EpochTally } from './fused-loss.js';
import { multiTaskLoss, sampleWeightsFor } from './losses.js';
import { SpecError } from './model.js';
import type { GroupOptimizer, ParamGroups } from './optimizers.js';
import { CancelledError, type EpochRecord, type TrainHooks } from './phase-types.js';
import type { LrScheduler } from './schedules.js';
import { seedRandom } from './seeded-random.js';
import type { Adaptation } from '../transfer/adapt-step.js';

export interface EpochContext {
    plan: ExperimentPlan;
    phase: Phase;
    stage: StagePlan;
    stageIndex: number;
    heads: OutputHeadPlan[];
    /** Class weights per head (`balance class_weights`), undefined where none apply. */
    classWeights: (number[] | undefined)[];
    /** The metrics computed on val after each epoch (confusion matrices are left for the end). */
    valMetrics: MetricPlan[];
    groups: ParamGroups;
    optimizer: GroupOptimizer;
    scheduler: LrScheduler;
    features: FeatureStrategy;
    adapt?: Adaptation;
    hooks: TrainHooks;
    /** The stage's closed-form step for a dense head on cached features (dense-head-step.ts), when it applies. */
    denseStep?: DenseHeadStep;
}

/** An epoch just trained: its metrics are numbers (NaN only becomes null once written to JSON). */
export type TrainedEpoch = EpochRecord & { metrics: Record<string, number> };

/** The longest the loop runs without a macrotask turn (signals, timers), in milliseconds. */
const YIELD_MS = 10;

/** `epoch` counts from 0; the record's from 1. */
export async function trainEpoch(c: EpochContext, epoch: number): Promise<TrainedEpoch> {
    const { plan, stage, heads, features, hooks, optimizer, scheduler } = c;
    const { graph, trainModel } = features;
    const started = Date.now();
    seedRandom(plan.seed, c.phase, c.stageIndex, epoch);
    // Loss sum and correct count stay on the backend until the epoch ends (fused-loss.ts): reading
    // them every step cost more than the step's loss kernels.
    const tally = new EpochTally();
    const accuracy = heads[0].activation === 'softmax';
    let seen = 0;
    let step = 0;
    let lr = scheduler.lr(epoch, 0);
    // -Infinity: every epoch's first step takes a turn.
    let turned = -Infinity;
    let totals: { lossSum: number; correct: number };
    try {
        for await (const batch of features.trainFeed.batches(stage.batch, { shuffle: true, augment: true, seed: plan.seed, epoch: c.stageIndex * 100000 + epoch })) {
            // Batches served from memory resolve as microtasks only: without a macrotask turn,
            // signal handlers (SIGINT/SIGTERM → cancel) would never run during training. One turn
            // every few milliseconds keeps cancelling prompt; one per step cost a dense head's
            // step about 5% of its time.
            if (performance.now() - turned >= YIELD_MS) {
                await new Promise<void>((resolve) => setImmediate(resolve));
                turned = performance.now();
            }
            if (hooks.cancelled()) {
                tf.dispose([batch.x, ...batch.labels]);
                throw new CancelledError();
            }
            lr = scheduler.lr(epoch, step);
            optimizer.setLr(lr);
            const n = batch.x.shape[0];
            const sw = c.classWeights.map((w, i) => (w ? sampleWeightsFor(batch.labels[i], w) : undefined));
            let logits0: tf.Tensor2D | undefined;
            let value: tf.Scalar;
            if (c.denseStep) {
                const out = c.denseStep.run(batch.x, batch.labels[0]!, sw[0], optimizer, c.groups);
                value = out.loss;
                logits0 = out.logits;
            } else {
                // Adaptation needs the backbone in the step (not cached features).
                const tx = c.adapt && features.throughBackbone ? await c.adapt.nextTarget(stage.batch) : undefined;
                // The frozen part runs before the gradient tape starts: it needs no gradients,
                // and tfjs fuses a conv's activation only when no tape is recording.
                const frozenPart = trainModel === graph && !tx && graph.hasFrozenPart ? graph.runFrozen(batch.x) : undefined;
                value = optimizer.step(c.groups, () => {
                    const adapted = tx ? c.adapt!.forward(batch.x, tx) : undefined;
                    const raw = adapted
                        ? adapted.logits
                        : frozenPart
                          ? graph.applyFrom(frozenPart, { training: true })
                          : (trainModel.apply(batch.x, { training: true }) as tf.Tensor | tf.Tensor[]);
                    const logits = (Array.isArray(raw) ? raw : [raw]) as tf.Tensor2D[];
                    // Kept past the step for the accuracy tally (no kernel runs on it inside the tape).
                    if (accuracy) logits0 = tf.keep(logits[0]);
                    const total = multiTaskLoss(
                        logits.map((l, i) => ({ plan: heads[i].loss, activation: heads[i].activation, weight: heads[i].weight, logits: l, labels: batch.labels[i], sampleWeights: sw[i] }))
                    );
                    return adapted ? (tf.add(total, adapted.loss) as tf.Scalar) : total;
                });
                frozenPart?.dispose();
                tx?.dispose();
            }
            tally.add(value, n, logits0, accuracy ? batch.labels[0] : undefined);
            seen += n;
            tf.dispose([value, logits0, batch.x, ...batch.labels, ...sw.filter((t): t is tf.Tensor1D => t !== undefined)]);
            step++;
        }
        totals = await tally.read();
    } finally {
        tally.dispose();
    }
    const { lossSum, correct } = totals;
    const metrics: Record<string, number> = { loss: seen ? lossSum / seen : NaN };
    if (accuracy) metrics.accuracy = seen ? correct / seen : NaN;
    // `adapt_loss`: the mean adaptation term of the epoch (also inside `loss`).
    if (c.adapt) Object.assign(metrics, c.adapt.takeEpochMetrics());
    if (!Number.isFinite(metrics.loss)) {
        throw new SpecError(`the loss became ${metrics.loss} in stage ${stage.name}, epoch ${epoch + 1}: lower the learning rate (${stage.optimizer.lr}) or add \`clip_norm\``, stage.at);
    }
    if (features.valFeed) {
        const val = await predictSplit(features.valModel, heads, features.valFeed, Math.max(stage.batch, 64));
        for (const [k, v] of Object.entries(scalarMetrics(metricsOf(val, c.valMetrics)))) metrics[`val_${k}`] = v;
    }
    return { epoch: epoch + 1, lr, metrics, seconds: (Date.now() - started) / 1000 };
}
