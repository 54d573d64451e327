// Runs a model over a split without training (dropout off, BatchNorm on moving statistics) and
// turns its outputs into metrics: the loss as in training (without class weights) and every
// metric the plan asks for, per head. With several heads, keys are prefixed `<head>_`.

import * as tf from '@tensorflow/tfjs';
import type { MetricPlan, OutputHeadPlan, Task } from '../../core/plan/types.js';
import type { SplitFeed } from '../train/feed.js';
import { metricPlan } from '../../core/metrics.js';
import { loss } from '../train/losses.js';
import { computeMetrics, type MetricValues, type Predictions } from './metrics.js';
import type { MisclassifiedCollector } from './misclassified.js';

export interface HeadOutputs {
    head: OutputHeadPlan;
    predictions: Predictions;
}

export interface EvalResult {
    loss: number;
    heads: HeadOutputs[];
    /** Sample keys in prediction order, when the feed knows them (image feeds). */
    keys?: string[];
}

/** What a split is run through: a tf.layers model, or the same network compiled (backend/frozen-graph.ts). */
export interface Forward {
    apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[];
}

const taskOf = (h: OutputHeadPlan): Task => (h.activation === 'softmax' ? 'single_label' : 'multi_label');

/** `gallery`: collects the first head's most confident mistakes (single-label heads only). */
export async function predictSplit(model: Forward, heads: OutputHeadPlan[], feed: SplitFeed, batchSize: number, gallery?: MisclassifiedCollector): Promise<EvalResult> {
    const probs: number[][] = heads.map(() => []);
    const labels: number[][] = heads.map(() => []);
    const classes: number[] = heads.map(() => 0);
    let keys: string[] | undefined = [];
    let lossSum = 0;
    let count = 0;
    for await (const batch of feed.batches(batchSize, { shuffle: false, augment: false, seed: 0, epoch: 0 })) {
        const n = batch.x.shape[0];
        if (keys && batch.keys) keys.push(...batch.keys);
        else keys = undefined;
        const outs = tf.tidy(() => {
            const raw = model.apply(batch.x, { training: false }) as tf.Tensor | tf.Tensor[];
            const logits = (Array.isArray(raw) ? raw : [raw]) as tf.Tensor2D[];
            let total: tf.Scalar = tf.scalar(0);
            const activated = logits.map((l, i) => {
                const h = heads[i];
                total = tf.add(total, tf.mul(loss(h.loss, h.activation, { logits: l, labels: batch.labels[i] }), h.weight));
                return h.activation === 'softmax' ? tf.softmax(l) : tf.sigmoid(l);
            });
            return { total, activated };
        });
        lossSum += (await outs.total.data())[0] * n;
        count += n;
        for (let i = 0; i < heads.length; i++) {
            const p = await outs.activated[i].data();
            for (const v of p) probs[i].push(v);
            const y = await batch.labels[i].data();
            classes[i] = batch.labels[i].shape[1];
            if (taskOf(heads[i]) === 'single_label') {
                const c = batch.labels[i].shape[1];
                for (let r = 0; r < n; r++) {
                    let best = 0;
                    for (let j = 1; j < c; j++) if (y[r * c + j] > y[r * c + best]) best = j;
                    labels[i].push(best);
                }
            } else for (const v of y) labels[i].push(v);
        }
        if (gallery && taskOf(heads[0]) === 'single_label') {
            const c = classes[0];
            const [, hh, ww, cc] = batch.x.shape;
            await gallery.add({
                probs: probs[0].slice(probs[0].length - n * c),
                labels: labels[0].slice(labels[0].length - n),
                classes: c,
                keys: batch.keys,
                shape: [hh, ww, cc],
                values: () => batch.x.data() as Promise<Float32Array>
            });
        }
        tf.dispose([outs.total, ...outs.activated, batch.x, ...batch.labels]);
    }
    return {
        loss: count ? lossSum / count : NaN,
        ...(keys && keys.length === count ? { keys } : {}),
        heads: heads.map((h, i) => ({
            head: h,
            predictions: { task: taskOf(h), classes: classes[i], probs: Float32Array.from(probs[i]), labels: labels[i] }
        }))
    };
}

/** Metrics of an evaluation; `thresholds` per head for multi-label heads. */
export function metricsOf(result: EvalResult, metrics: MetricPlan[], thresholds?: (number[] | undefined)[]): MetricValues {
    const out: MetricValues = { loss: result.loss };
    const prefix = result.heads.length > 1;
    result.heads.forEach((h, i) => {
        const wanted = h.predictions.task === 'single_label' && !metrics.some((m) => m.kind === 'accuracy') ? [metricPlan('accuracy', {}), ...metrics] : metrics;
        const values = computeMetrics(h.predictions, wanted, thresholds?.[i]);
        for (const [k, v] of Object.entries(values)) out[prefix ? `${h.head.name}_${k}` : k] = v;
    });
    return out;
}
