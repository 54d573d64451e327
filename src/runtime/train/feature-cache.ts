// Frozen features: the output of a network's frozen part never changes during a stage, so it is
// computed once per split and the stage trains the rest on the stored values.
// - The whole backbone frozen (inference-mode BatchNorm, no dropout): the heads train on its
//   features. This is where transfer learning with a frozen backbone spends most of its time.
// - Fine-tuning: the layers below the first trainable one are frozen; their output (one tensor,
//   see FrozenGraph.boundary) is stored and the trainable layers above run on it.
// The training split is cached only without augmentation and oversampling (their inputs change
// every epoch: the frozen part then runs on each batch, before the gradient tape).

import * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph, type FrozenGraph } from '../backend/frozen-graph.js';
import type { ExperimentPlan } from '../../core/plan/types.js';
import { TensorFeed, type SplitFeed } from './feed.js';
import type { AssembledModel } from './model.js';
import { CancelledError } from './phase-types.js';

/** The run's cancellation, asked between batches (a frozen backbone over a large split takes a while). */
type Cancelled = () => boolean;

/** Features above this many bytes per split are not cached (the feeds stream instead). */
export const FEATURE_CACHE_LIMIT = 512 * 1024 * 1024;

export function backboneIsConstant(m: AssembledModel): boolean {
    return m.backboneLayers.every((l) => {
        if (l.trainable && l.trainableWeights.length > 0) return false;
        if (l.getClassName() === 'BatchNormalization') return (l as unknown as { graftInference?: boolean }).graftInference === true;
        return l.getClassName() !== 'Dropout';
    });
}

export function trainSplitCacheable(plan: ExperimentPlan): boolean {
    const augmented = Object.values(plan.data.augment).some((v) => v !== undefined && v !== 0);
    return !augmented && plan.data.balance !== 'oversample';
}

/** The heads alone, on the backbone's feature map as input (sharing the heads' layers and weights). */
export function headModel(m: AssembledModel): tf.LayersModel {
    const input = tf.input({ shape: m.backbone.outputs[0].shape.slice(1) as number[], name: 'features' });
    const outputs = m.heads.map((h) => h.layers.reduce<tf.SymbolicTensor>((x, layer) => layer.apply(x) as tf.SymbolicTensor, input));
    return tf.model({ inputs: input, outputs, name: `${m.model.name}_head` });
}

/** Runs the backbone once over a split; undefined when the features would exceed the limit. */
export async function extractFeatures(m: AssembledModel, feed: SplitFeed, batchSize: number, cancelled?: Cancelled): Promise<TensorFeed | undefined> {
    // Constant for the whole stage: BatchNorms folded into convs, activations fused.
    const graph = compileFrozenGraph(m.backbone);
    try {
        return await cacheOutputs((x) => graph.predict(x) as tf.Tensor, m.backbone.outputs[0].shape, feed, batchSize, cancelled);
    } finally {
        graph.dispose();
    }
}

/** Runs a stage's frozen part (see FrozenGraph.boundary) once over a split. */
export async function extractFrozenOutputs(graph: FrozenGraph, feed: SplitFeed, batchSize: number, cancelled?: Cancelled): Promise<TensorFeed | undefined> {
    if (graph.boundary === undefined) return undefined;
    return cacheOutputs((x) => graph.frozenOutput(x), graph.boundary.shape, feed, batchSize, cancelled);
}

/** `run` over a whole split in order, with the labels; undefined when it would exceed the limit. */
async function cacheOutputs(run: (x: tf.Tensor4D) => tf.Tensor, shape: tf.Shape, feed: SplitFeed, batchSize: number, cancelled?: Cancelled): Promise<TensorFeed | undefined> {
    const perImage = (shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    if (perImage * feed.size * 4 > FEATURE_CACHE_LIMIT) return undefined;
    const features: tf.Tensor[] = [];
    const labels: tf.Tensor2D[][] = [];
    try {
        for await (const batch of feed.batches(batchSize, { shuffle: false, augment: false, seed: 0, epoch: 0 })) {
            if (cancelled?.()) {
                tf.dispose([batch.x, ...batch.labels]);
                throw new CancelledError();
            }
            features.push(run(batch.x));
            labels.push(batch.labels.map((l) => tf.clone(l)));
            tf.dispose([batch.x, ...batch.labels]);
            await new Promise<void>((resolve) => setImmediate(resolve));
        }
    } catch (err) {
        tf.dispose([...features, ...labels.flat()]);
        throw err;
    }
    if (features.length === 0) return undefined;
    const x = tf.concat(features);
    const y = labels[0].map((_, head) => tf.concat(labels.map((l) => l[head])) as tf.Tensor2D);
    tf.dispose([...features, ...labels.flat()]);
    return new TensorFeed(x, y, tf);
}
