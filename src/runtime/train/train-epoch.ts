// One epoch of a stage: every training batch through one optimizer step, then the val split.
// Returns the epoch's record (train loss/accuracy, the adaptation term, val_* metrics).

import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan, MetricPlan, OutputHeadPlan, StagePlan } from '../../core/plan/types.js';
import type { Phase } from '../runs/events.js';
import { metricsOf, predictSplit } from '../eval/evaluate.js';
import { scalarMetrics } from '../eval/metrics.js';
import type { FeatureStrategy } from './feature-strategy.js';
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
}

/** An epoch just trained: its metrics are numbers (NaN only becomes null once written to JSON). */
export type TrainedEpoch = EpochRecord & { metrics: Record<string, number> };

/** `epoch` counts from 0; the record's from 1. */
export async function trainEpoch(c: EpochContext, epoch: number): Promise<TrainedEpoch> {
    const { plan, stage, heads, features, hooks, optimizer, scheduler } = c;
    const { graph, trainModel } = features;
    const started = Date.now();
    seedRandom(plan.seed, c.phase, c.stageIndex, epoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let step = 0;
    let lr = scheduler.lr(epoch, 0);
    for await (const batch of features.trainFeed.batches(stage.batch, { shuffle: true, augment: true, seed: plan.seed, epoch: c.stageIndex * 100000 + epoch })) {
        // Batches served from memory resolve as microtasks only: without a macrotask turn,
        // signal handlers (SIGINT/SIGTERM → cancel) would never run during training.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (hooks.cancelled()) {
            tf.dispose([batch.x, ...batch.labels]);
            throw new CancelledError();
        }
        lr = scheduler.lr(epoch, step);
        optimizer.setLr(lr);
        const n = batch.x.shape[0];
        const sw = c.classWeights.map((w, i) => (w ? sampleWeightsFor(batch.labels[i], w) : undefined));
        let hits: tf.Scalar | undefined;
        // Adaptation needs the backbone in the step (not cached features).
        const tx = c.adapt && features.throughBackbone ? await c.adapt.nextTarget(stage.batch) : undefined;
        // The frozen part runs before the gradient tape starts: it needs no gradients,
        // and tfjs fuses a conv's activation only when no tape is recording.
        const frozenPart = trainModel === graph && !tx && graph.hasFrozenPart ? graph.runFrozen(batch.x) : undefined;
        const value = optimizer.step(c.groups, () => {
            const adapted = tx ? c.adapt!.forward(batch.x, tx) : undefined;
            const raw = adapted
                ? adapted.logits
                : frozenPart
                  ? graph.applyFrom(frozenPart, { training: true })
                  : (trainModel.apply(batch.x, { training: true }) as tf.Tensor | tf.Tensor[]);
            const logits = (Array.isArray(raw) ? raw : [raw]) as tf.Tensor2D[];
            if (heads[0].activation === 'softmax') {
                hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits[0], 1), tf.argMax(batch.labels[0], 1)), 'float32')) as tf.Scalar);
            }
            const total = multiTaskLoss(
                logits.map((l, i) => ({ plan: heads[i].loss, activation: heads[i].activation, weight: heads[i].weight, logits: l, labels: batch.labels[i], sampleWeights: sw[i] }))
            );
            return adapted ? (tf.add(total, adapted.loss) as tf.Scalar) : total;
        });
        lossSum += (await value.data())[0] * n;
        if (hits) correct += (await (hits as tf.Scalar).data())[0];
        seen += n;
        frozenPart?.dispose();
        tf.dispose([value, hits, tx, batch.x, ...batch.labels, ...sw.filter((t): t is tf.Tensor1D => t !== undefined)]);
        step++;
    }
    const metrics: Record<string, number> = { loss: seen ? lossSum / seen : NaN };
    if (heads[0].activation === 'softmax') metrics.accuracy = seen ? correct / seen : NaN;
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
