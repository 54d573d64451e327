// What the training loop needs from the data pipeline: per split, batches of images and one label
// tensor per head. Kept minimal so the loop can be tested on in-memory tensors and so the data
// pipeline's own API can change behind one adapter (train/data-adapter.ts).

import type * as tf from '@tensorflow/tfjs';
import type { Normalize } from '../../core/plan/types.js';

export interface Batch {
    /** [batch, height, width, channels], normalised. */
    x: tf.Tensor4D;
    /** One [batch, classes] one-hot/multi-hot tensor per head, in the plan's head order. */
    labels: tf.Tensor2D[];
    /** Sample ids in batch order, when the feed knows them (image feeds; not cached features). */
    keys?: string[];
}

/** What a feed of images tells about its samples, so evaluation can show them (the misclassified gallery). */
export interface SampleDisplay {
    /** How the batches' pixels were normalised (inverted to get the image back). */
    normalize: Normalize;
    /** Where a sample came from, for people: its file relative to the spec, or `mnist/<digit>#<n>`. */
    source(key: string): string;
}

export interface BatchOptions {
    /** Shuffle with a generator seeded from (seed, epoch): same seed, same order. */
    shuffle: boolean;
    augment: boolean;
    seed: number;
    epoch: number;
}

export interface SplitFeed {
    size: number;
    /** Yields batches; the consumer disposes each batch's tensors. */
    batches(batchSize: number, options: BatchOptions): AsyncIterable<Batch>;
    /** Present when the batches are images with keys. */
    display?: SampleDisplay;
}

export interface TrainingData {
    /** Class names per head, in head order. */
    classes: string[][];
    train: SplitFeed;
    val?: SplitFeed;
    /** Evaluation sets by result key (`test`, or a dataset name). */
    evaluation: Map<string, SplitFeed>;
    /** Training images per class of each head (for class weights and the plan). */
    classCounts: number[][];
    /** Images left out and why (unreadable files, …), recorded in results.json. */
    skipped: { origin: string; reason: string }[];
}

/** An in-memory feed (tests, cached features): slices of fixed tensors, shuffled by a seeded permutation. */
export class TensorFeed implements SplitFeed {
    constructor(
        /** [n, …] inputs: images, or a frozen backbone's features. */
        private readonly x: tf.Tensor,
        private readonly labels: tf.Tensor2D[],
        private readonly tfjs: typeof tf
    ) {}

    dispose(): void {
        this.tfjs.dispose([this.x, ...this.labels]);
    }

    get size(): number {
        return this.x.shape[0];
    }

    async *batches(batchSize: number, options: BatchOptions): AsyncIterable<Batch> {
        const n = this.size;
        const order = Array.from({ length: n }, (_, i) => i);
        if (options.shuffle) {
            let s = (options.seed * 2654435761 + options.epoch * 40503 + 1) >>> 0;
            const rand = (): number => {
                s = (s + 0x6d2b79f5) >>> 0;
                let t = s;
                t = Math.imul(t ^ (t >>> 15), t | 1);
                t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
                return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
            };
            for (let i = n - 1; i > 0; i--) {
                const j = Math.floor(rand() * (i + 1));
                [order[i], order[j]] = [order[j], order[i]];
            }
        }
        for (let start = 0; start < n; start += batchSize) {
            const idx = this.tfjs.tensor1d(order.slice(start, start + batchSize), 'int32');
            const batch: Batch = { x: this.tfjs.gather(this.x, idx) as tf.Tensor4D, labels: this.labels.map((l) => this.tfjs.gather(l, idx)) };
            idx.dispose();
            yield batch;
        }
    }
}
