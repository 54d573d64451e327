// The training loop: `train`, then each `stage` starting from the weights the previous one ended
// with. A custom loop (variableGrads + optimizer per parameter group) rather than model.fit, which
// costs much more per step on the CPU/WASM backends. Per epoch: train, evaluate on val, schedule,
// checkpoint, early stopping; at stage end the best checkpoint is restored.

import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan, MetricPlan, StagePlan } from '../plan/types.js';
import type { Phase } from '../runs/events.js';
import { compileFrozenGraph, frozenForTraining } from '../backend/frozen-graph.js';
import { metricsOf, predictSplit, type Forward } from '../eval/evaluate.js';
import { scalarMetrics } from '../eval/metrics.js';
import type { TensorFeed, TrainingData } from './feed.js';
import { backboneIsConstant, extractFeatures, extractFrozenOutputs, headModel, trainSplitCacheable } from './feature-cache.js';
import { classWeights, loss as lossOf, sampleWeightsFor } from './losses.js';
import { applyStageFreezing, batchNormInTraining, recalibrateBatchNorm, restoreWeights, snapshotWeights, SpecError, paramGroups, type AssembledModel } from './model.js';
import { GroupOptimizer, type OptimizerSnapshot } from './optimizers.js';
import { improved, LrScheduler } from './schedules.js';
import { restoreRandom, seedRandom } from './seeded-random.js';
import type { Adaptation } from '../transfer/adapt-step.js';

/** Batches over which precise BatchNorm statistics are averaged at the end of a stage. */
export const PRECISE_BN_BATCHES = 50;

export class CancelledError extends Error {
    constructor() {
        super('cancelled');
    }
}

export interface EpochRecord {
    epoch: number;
    lr: number;
    metrics: Record<string, number>;
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

/**
 * The monitor of the best checkpoint: `checkpoint best <monitor>`, else early stopping's (Keras'
 * restore_best_weights). Without either, a stage ends with its last epoch's weights.
 */
export function checkpointMonitor(stage: StagePlan): string | undefined {
    return stage.checkpoint?.monitor ?? stage.earlyStop?.monitor;
}

/** Finds a monitor's value; `val_f1` also matches `val_f1_macro` (metric keys carry the averaging). */
export function monitorValue(metrics: Record<string, number>, monitor: string): number | undefined {
    if (monitor in metrics) return metrics[monitor];
    const alt = Object.keys(metrics).find((k) => k.startsWith(`${monitor}_`));
    return alt === undefined ? undefined : metrics[alt];
}

function perHeadWeights(plan: ExperimentPlan, data: TrainingData): (number[] | undefined)[] {
    if (plan.data.balance !== 'class_weights' || plan.head.kind !== 'output') return plan.head.kind === 'output' ? plan.head.heads.map(() => undefined) : [];
    return plan.head.heads.map((h, i) => (h.activation === 'softmax' ? classWeights(data.classCounts[i]) : undefined));
}

export async function trainPhase(opts: PhaseOptions): Promise<StageResult[]> {
    const { m, plan, data, phase, hooks } = opts;
    if (plan.head.kind !== 'output') return [];
    const heads = plan.head.heads;
    const weights = perHeadWeights(plan, data);
    const metrics: MetricPlan[] = plan.metrics.filter((mm) => mm.kind !== 'confusion');
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
    try {
        for (let s = startStage; s < plan.stages.length; s++) {
            const stage = plan.stages[s];
            const resuming = opts.resume && s === startStage ? opts.resume : undefined;
            const frozen = applyStageFreezing(m, stage, mask);
            mask = frozen.mask;
            const groups = paramGroups(m);
            // DANN's domain classifier trains with the head's optimizer group.
            if (opts.adapt) groups.head.push(...opts.adapt.variables);
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
            if (resuming && resuming.epochsDone > 0) {
                // A missing or damaged state file costs the moments, never the run.
                let problem: string | undefined;
                try {
                    const saved = hooks.loadOptimizer?.(phase);
                    if (!saved) problem = 'no optimizer state was saved with it';
                    else if (!(await optimizer.restore(saved, groups))) problem = `the saved state is of ${saved.kind}, not ${stage.optimizer.kind}`;
                } catch (err) {
                    problem = `the saved optimizer state is unusable: ${(err as Error).message}`;
                }
                if (problem === undefined) hooks.log('info', `stage ${stage.name}: resumed with the optimizer state of epoch ${resuming.epochsDone}`, stage.at);
                else hooks.log('warning', `stage ${stage.name}: resuming after epoch ${resuming.epochsDone}, but ${problem}; ${stage.optimizer.kind} restarts its moments`, stage.at);
            }
            // A frozen, inference-mode backbone gives the same features every epoch: compute them once.
            // Otherwise the layers below the first trainable one are fixed for the stage: they run
            // as fused inference ops (BatchNorm folded), the rest through tf.layers with gradients.
            const graph = compileFrozenGraph(m.model, { constant: frozenForTraining });
            let trainModel: Forward = graph;
            let valModel: Forward = graph;
            const throughBackbone = () => trainModel === graph;
            let trainFeed = data.train;
            let valFeed = data.val;
            const cached: TensorFeed[] = [];
            if (opts.cacheFeatures !== false && backboneIsConstant(m)) {
                const head = headModel(m);
                const valFeatures = data.val ? await extractFeatures(m, data.val, 128) : undefined;
                const trainFeatures = trainSplitCacheable(plan) ? await extractFeatures(m, data.train, 128) : undefined;
                if (valFeatures) [valModel, valFeed] = [head, valFeatures];
                if (trainFeatures) [trainModel, trainFeed] = [head, trainFeatures];
                cached.push(...[valFeatures, trainFeatures].filter((f): f is TensorFeed => f !== undefined));
                if (opts.adapt) hooks.log('warning', `adapt to ${opts.adapt.spec.target.name} has no effect in stage ${stage.name}: the backbone is frozen, so its features cannot move`, opts.adapt.spec.at);
                if (cached.length) hooks.log('info', `stage ${stage.name}: the backbone is frozen; its features for ${[trainFeatures ? 'train' : '', valFeatures ? 'val' : ''].filter(Boolean).join(' and ')} are computed once`, stage.at);
            } else if (opts.cacheFeatures !== false && graph.boundary !== undefined && graph.compiledLayers.length > 0) {
                // Fine-tuning: the frozen layers' output is the same every epoch; the trainable ones run on it.
                const tail: Forward = { apply: (x, kwargs) => graph.applyTail(x as tf.Tensor, kwargs) };
                const valOutputs = data.val ? await extractFrozenOutputs(graph, data.val, 128) : undefined;
                // Adapting needs source and target images through the whole backbone in each step.
                const trainOutputs = trainSplitCacheable(plan) && !opts.adapt ? await extractFrozenOutputs(graph, data.train, 128) : undefined;
                if (valOutputs) [valModel, valFeed] = [tail, valOutputs];
                if (trainOutputs) [trainModel, trainFeed] = [tail, trainOutputs];
                cached.push(...[valOutputs, trainOutputs].filter((f): f is TensorFeed => f !== undefined));
                const cut = graph.boundary.sourceLayer.name;
                if (cached.length) hooks.log('info', `stage ${stage.name}: the layers up to ${cut} are frozen; their output for ${[trainOutputs ? 'train' : '', valOutputs ? 'val' : ''].filter(Boolean).join(' and ')} is computed once`, stage.at);
            }
            let best = resuming?.best;
            let bestSnapshot: tf.Tensor[] | undefined;
            let waited = resuming?.waited ?? 0;
            let stopped = resuming?.stoppedEarly ?? false;
            try {
                for (let epoch = resuming?.epochsDone ?? 0; epoch < stage.epochs && !stopped; epoch++) {
                    const started = Date.now();
                    seedRandom(plan.seed, phase, s, epoch);
                    let lossSum = 0;
                    let correct = 0;
                    let seen = 0;
                    let step = 0;
                    let lr = scheduler.lr(epoch, 0);
                    for await (const batch of trainFeed.batches(stage.batch, { shuffle: true, augment: true, seed: plan.seed, epoch: s * 100000 + epoch })) {
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
                        const sw = weights.map((w, i) => (w ? sampleWeightsFor(batch.labels[i], w) : undefined));
                        let hits: tf.Scalar | undefined;
                        // Adaptation needs the backbone in the step (not cached features).
                        const tx = opts.adapt && throughBackbone() ? await opts.adapt.nextTarget(stage.batch) : undefined;
                        // The frozen part runs before the gradient tape starts: it needs no gradients,
                        // and tfjs fuses a conv's activation only when no tape is recording.
                        const frozenPart = trainModel === graph && !tx && graph.hasFrozenPart ? graph.runFrozen(batch.x) : undefined;
                        const value = optimizer.step(groups, () => {
                            const adapted = tx ? opts.adapt!.forward(batch.x, tx) : undefined;
                            const raw = adapted
                                ? adapted.logits
                                : frozenPart
                                  ? graph.applyFrom(frozenPart, { training: true })
                                  : (trainModel.apply(batch.x, { training: true }) as tf.Tensor | tf.Tensor[]);
                            const logits = (Array.isArray(raw) ? raw : [raw]) as tf.Tensor2D[];
                            if (heads[0].activation === 'softmax') {
                                hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits[0], 1), tf.argMax(batch.labels[0], 1)), 'float32')) as tf.Scalar);
                            }
                            const total = logits
                                .map((l, i) => tf.mul(lossOf(heads[i].loss, heads[i].activation, { logits: l, labels: batch.labels[i], sampleWeights: sw[i] }), heads[i].weight) as tf.Scalar)
                                .reduce((a, b) => tf.add(a, b) as tf.Scalar);
                            return adapted ? (tf.add(total, adapted.loss) as tf.Scalar) : total;
                        });
                        lossSum += (await value.data())[0] * n;
                        if (hits) correct += (await (hits as tf.Scalar).data())[0];
                        seen += n;
                        frozenPart?.dispose();
                        tf.dispose([value, hits, tx, batch.x, ...batch.labels, ...sw.filter((t): t is tf.Tensor1D => t !== undefined)]);
                        step++;
                    }
                    const epochMetrics: Record<string, number> = { loss: seen ? lossSum / seen : NaN };
                    if (heads[0].activation === 'softmax') epochMetrics.accuracy = seen ? correct / seen : NaN;
                    // `adapt_loss`: the mean adaptation term of the epoch (also inside `loss`).
                    if (opts.adapt) Object.assign(epochMetrics, opts.adapt.takeEpochMetrics());
                    if (!Number.isFinite(epochMetrics.loss)) {
                        throw new SpecError(
                            `the loss became ${epochMetrics.loss} in stage ${stage.name}, epoch ${epoch + 1}: lower the learning rate (${stage.optimizer.lr}) or add \`clip_norm\``,
                            stage.at
                        );
                    }
                    if (valFeed) {
                        const val = await predictSplit(valModel, heads, valFeed, Math.max(stage.batch, 64));
                        for (const [k, v] of Object.entries(scalarMetrics(metricsOf(val, metrics)))) epochMetrics[`val_${k}`] = v;
                    }
                    const seconds = (Date.now() - started) / 1000;
                    result.history.push({ epoch: epoch + 1, lr, metrics: epochMetrics, seconds });
                    result.epochsRun = epoch + 1;
                    result.seconds += seconds;
                    hooks.epoch({ phase, stage, epoch: epoch + 1, metrics: epochMetrics, lr, seconds });
                    scheduler.endEpoch(epochMetrics);
                    if (monitor) {
                        const value = monitorValue(epochMetrics, monitor);
                        if (value === undefined) {
                            if (epoch === 0) hooks.log('warning', `monitor ${monitor} is not among this epoch's metrics (${Object.keys(epochMetrics).join(', ')}); no checkpoint is kept`, stage.at);
                        } else if (improved(monitor, value, best?.value, 0)) {
                            best = { value, epoch: epoch + 1 };
                            tf.dispose(bestSnapshot);
                            bestSnapshot = snapshotWeights(m.model);
                            await hooks.saveBest({ phase, stage, epoch: epoch + 1, monitor, value });
                        }
                    }
                    if (stage.earlyStop) {
                        const value = monitorValue(epochMetrics, stage.earlyStop.monitor);
                        // Early stopping has its own min_delta, so it tracks its own best.
                        if (value !== undefined) {
                            const esBest = result.history
                                .slice(0, -1)
                                .map((h) => monitorValue(h.metrics, stage.earlyStop!.monitor))
                                .filter((v): v is number => v !== undefined)
                                .reduce<number | undefined>((b, v) => (improved(stage.earlyStop!.monitor, v, b, 0) ? v : b), undefined);
                            if (improved(stage.earlyStop.monitor, value, esBest, stage.earlyStop.minDelta)) waited = 0;
                            else if (++waited >= stage.earlyStop.patience) {
                                stopped = true;
                                result.stoppedEarly = true;
                                hooks.log('info', `early stop in stage ${stage.name} after epoch ${epoch + 1}: ${stage.earlyStop.monitor} did not improve for ${stage.earlyStop.patience} epochs`, stage.at);
                            }
                        }
                    }
                    await hooks.saveState(
                        { phase, stageIndex: s, epochsDone: epoch + 1, mask, scheduler: scheduler.state(), best, waited, stoppedEarly: stopped, done: results, current: result },
                        await optimizer.snapshot()
                    );
                }
                // The best checkpoint first, then precise BatchNorm statistics for the weights the
                // stage ends with (see recalibrateBatchNorm).
                if (best) {
                    result.bestEpoch = best.epoch;
                    result.bestValue = best.value;
                    if (bestSnapshot) restoreWeights(m.model, bestSnapshot);
                    else if (!(await hooks.loadBest(phase))) hooks.log('warning', `the best weights of stage ${stage.name} were not found; keeping the last epoch's`, stage.at);
                }
                const bnLayers = batchNormInTraining(m);
                if (bnLayers.length > 0) {
                    const calibration = data.train.batches(stage.batch, { shuffle: true, augment: false, seed: plan.seed, epoch: 999_999 });
                    // Adapting: the network trained on mixed source+target batches; recompute those statistics, not source-only ones.
                    const used = await recalibrateBatchNorm(m, bnLayers, opts.adapt && throughBackbone() ? opts.adapt.withTargetBatches(calibration, stage.batch) : calibration, PRECISE_BN_BATCHES);
                    hooks.log('info', `stage ${stage.name}: BatchNorm statistics recomputed over ${used} training batches`, stage.at);
                }
            } finally {
                tf.dispose(bestSnapshot);
                optimizer.dispose();
                graph.dispose();
                for (const f of cached) f.dispose();
            }
            results.push(result);
            await hooks.saveState({ phase, stageIndex: s + 1, epochsDone: 0, mask, waited: 0, done: results });
        }
    } finally {
        restoreRandom();
    }
    return results;
}

/** The mask in force before stage `s` (replaying the freezing statements of stages 0..s-1). */
function previousMask(m: AssembledModel, plan: ExperimentPlan, s: number): boolean[] | undefined {
    let mask: boolean[] | undefined;
    for (let k = 0; k < s; k++) mask = applyStageFreezing(m, plan.stages[k], mask).mask;
    return mask;
}
