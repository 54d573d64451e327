// Frozen features: when no backbone layer trains in a stage and the backbone runs in inference
// mode throughout (frozen BatchNorm, no dropout), its output for an image never changes, so it
// is computed once per split and the stage trains only the head on the stored features. This
// is where transfer learning with a frozen backbone spends most of its time otherwise.
// The training split is cached only without augmentation and oversampling (their inputs change
// every epoch).

import * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph } from '../backend/frozen-graph.js';
import type { ExperimentPlan } from '../plan/types.js';
import { TensorFeed, type SplitFeed } from './feed.js';
import type { AssembledModel } from './model.js';

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
export async function extractFeatures(m: AssembledModel, feed: SplitFeed, batchSize: number): Promise<TensorFeed | undefined> {
    const perImage = (m.backbone.outputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    if (perImage * feed.size * 4 > FEATURE_CACHE_LIMIT) return undefined;
    const features: tf.Tensor[] = [];
    const labels: tf.Tensor2D[][] = [];
    // Constant for the whole stage: BatchNorms folded into convs, activations fused.
    const graph = compileFrozenGraph(m.backbone);
    try {
        for await (const batch of feed.batches(batchSize, { shuffle: false, augment: false, seed: 0, epoch: 0 })) {
            features.push(graph.predict(batch.x) as tf.Tensor);
            labels.push(batch.labels.map((l) => tf.clone(l)));
            tf.dispose([batch.x, ...batch.labels]);
            await new Promise<void>((resolve) => setImmediate(resolve));
        }
    } finally {
        graph.dispose();
    }
    if (features.length === 0) return undefined;
    const x = tf.concat(features);
    const y = labels[0].map((_, head) => tf.concat(labels.map((l) => l[head])) as tf.Tensor2D);
    tf.dispose([...features, ...labels.flat()]);
    return new TensorFeed(x, y, tf);
}
