// What each epoch of a stage runs the images through, chosen once per stage:
//  - cached features: a frozen, inference-mode backbone gives the same features every epoch, so
//    they are computed once and only the head trains on them;
//  - frozen prefix: when fine-tuning, the layers below the first trainable one are fixed for the
//    stage, so their output is computed once and the trainable tail runs on it;
//  - full model: otherwise every step runs the whole network (its fixed part as fused inference
//    ops, BatchNorm folded; the rest through tf.layers with gradients).

import type { ExperimentPlan, StagePlan } from '../../core/plan/types.js';
import type * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph, frozenForTraining, type FrozenGraph } from '../backend/frozen-graph.js';
import type { Forward } from '../eval/evaluate.js';
import { backboneIsConstant, extractFeatures, extractFrozenOutputs, headModel, trainSplitCacheable } from './feature-cache.js';
import type { SplitFeed, TensorFeed, TrainingData } from './feed.js';
import type { AssembledModel } from './model.js';
import type { TrainHooks } from './phase-types.js';
import type { Adaptation } from '../transfer/adapt-step.js';

export interface FeatureStrategy {
    /** The whole network, its fixed part compiled (also what `throughBackbone` steps run). */
    graph: FrozenGraph;
    trainModel: Forward;
    trainFeed: SplitFeed;
    valModel: Forward;
    valFeed?: SplitFeed;
    /** Training steps see images (not cached features or outputs): adaptation and BatchNorm need that. */
    throughBackbone: boolean;
    /** Training steps run only the heads, on the backbone's cached features. */
    headOnly: boolean;
    dispose(): void;
}

export async function chooseFeatureStrategy(
    m: AssembledModel,
    plan: ExperimentPlan,
    data: TrainingData,
    stage: StagePlan,
    opts: { cacheFeatures?: boolean; adapt?: Adaptation; hooks: TrainHooks }
): Promise<FeatureStrategy> {
    const graph = compileFrozenGraph(m.model, { constant: frozenForTraining });
    let trainModel: Forward = graph;
    let valModel: Forward = graph;
    let trainFeed: SplitFeed = data.train;
    let valFeed: SplitFeed | undefined = data.val;
    const cached: TensorFeed[] = [];
    let headOnly = false;
    const { adapt, hooks } = opts;
    if (opts.cacheFeatures !== false && backboneIsConstant(m)) {
        const head = headModel(m);
        const valFeatures = data.val ? await extractFeatures(m, data.val, 128, hooks.cancelled) : undefined;
        const trainFeatures = trainSplitCacheable(plan) ? await extractFeatures(m, data.train, 128, hooks.cancelled) : undefined;
        if (valFeatures) [valModel, valFeed] = [head, valFeatures];
        if (trainFeatures) [trainModel, trainFeed, headOnly] = [head, trainFeatures, true];
        cached.push(...[valFeatures, trainFeatures].filter((f): f is TensorFeed => f !== undefined));
        if (adapt) hooks.log('warning', `adapt to ${adapt.spec.target.name} has no effect in stage ${stage.name}: the backbone is frozen, so its features cannot move`, adapt.spec.at);
        if (cached.length) hooks.log('info', `stage ${stage.name}: the backbone is frozen; its features for ${[trainFeatures ? 'train' : '', valFeatures ? 'val' : ''].filter(Boolean).join(' and ')} are computed once`, stage.at);
    } else if (opts.cacheFeatures !== false && graph.boundary !== undefined && graph.compiledLayers.length > 0) {
        const tail: Forward = { apply: (x, kwargs) => graph.applyTail(x as tf.Tensor, kwargs) };
        const valOutputs = data.val ? await extractFrozenOutputs(graph, data.val, 128, hooks.cancelled) : undefined;
        // Adapting needs source and target images through the whole backbone in each step.
        const trainOutputs = trainSplitCacheable(plan) && !adapt ? await extractFrozenOutputs(graph, data.train, 128, hooks.cancelled) : undefined;
        if (valOutputs) [valModel, valFeed] = [tail, valOutputs];
        if (trainOutputs) [trainModel, trainFeed] = [tail, trainOutputs];
        cached.push(...[valOutputs, trainOutputs].filter((f): f is TensorFeed => f !== undefined));
        const cut = graph.boundary.sourceLayer.name;
        if (cached.length) hooks.log('info', `stage ${stage.name}: the layers up to ${cut} are frozen; their output for ${[trainOutputs ? 'train' : '', valOutputs ? 'val' : ''].filter(Boolean).join(' and ')} is computed once`, stage.at);
    }
    return {
        graph,
        trainModel,
        trainFeed,
        valModel,
        valFeed,
        throughBackbone: trainModel === graph,
        headOnly,
        dispose: () => {
            graph.dispose();
            for (const f of cached) f.dispose();
        }
    };
}
