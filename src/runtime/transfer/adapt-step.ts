// `adapt to <dataset> using coral | mmd | dann weight w`, as a piece the training loop plugs in:
// unlabelled batches of the target dataset's adaptation split (its `train` split, or all of it)
// go through the network together with each labelled source batch (one joint batch, so BatchNorm
// sees both domains), and the adaptation term joins the classification loss on the pooled
// (global-average) backbone features.
//
//   CORAL, MMD: loss += w · coral|mmd(features_source, features_target)
//   DANN:       loss += BCE(domain classifier(GRL_λ(features))), λ = w · ramp(progress)
//               (the classifier's own weights get the plain gradient; the backbone −λ·gradient)
//
// Use in the trainer (see the report / docs for the exact lines):
//   const adapt = plan.adapt ? await Adaptation.create(plan, m, { trainSize, warn }) : undefined;
//   groups.head.push(...adapt.variables)                 // per stage, after paramGroups(m)
//   const tx = await adapt.nextTarget(stage.batch)       // per batch, before optimizer.step
//   const { logits, loss } = adapt.forward(batch.x, tx)  // inside the step, instead of m.model.apply
//   … sum of head losses + loss …; tx.dispose()
//   Object.assign(epochMetrics, adapt.takeEpochMetrics()) // adapt_loss of the epoch
//   recalibrateBatchNorm(m, layers, adapt.withTargetBatches(sourceBatches, batch), …) // mixed statistics
//   await adapt.close()                                   // at the end of the phase

import * as tf from '@tensorflow/tfjs';
import type { AdaptPlan, ExperimentPlan } from '../../core/plan/types.js';
import { loadDataset, type Batch, type Dataset, type SplitSelector, type WarnFn } from '../data/index.js';
import { SpecError } from '../train/model.js';
import { coralLoss, mmdLoss, poolFeatures } from './domain-losses.js';
import { DomainClassifier } from './domain-classifier.js';
import { dannRamp } from './gradient-reversal.js';

/** What the adaptation needs from the assembled model: the trainable network and its backbone, sharing one graph. */
export interface AdaptableModel {
    model: tf.LayersModel;
    backbone: tf.LayersModel;
}

export interface AdaptationOptions {
    /** Training images of the source (to know DANN's progress through training). */
    trainSize: number;
    warn?: WarnFn;
    /** The target dataset already loaded (tests); default: loaded from the plan. */
    target?: Dataset;
}

/** The adaptation term of one method on already pooled features (shared by the trainer hook and tests). */
export function adaptationLoss(method: AdaptPlan['method'], weight: number, source: tf.Tensor2D, target: tf.Tensor2D, dann?: { classifier: DomainClassifier; lambda: number }): tf.Scalar {
    return tf.tidy(() => {
        switch (method) {
            case 'coral':
                return tf.mul(coralLoss(source, target), weight) as tf.Scalar;
            case 'mmd':
                return tf.mul(mmdLoss(source, target), weight) as tf.Scalar;
            case 'dann':
                if (!dann) throw new Error('DANN needs a domain classifier');
                return dann.classifier.loss(source, target, dann.lambda);
        }
    });
}

function totalSteps(plan: ExperimentPlan, trainSize: number): number {
    return Math.max(1, plan.stages.reduce((n, s) => n + s.epochs * Math.max(1, Math.ceil(trainSize / s.batch)), 0));
}

export class Adaptation {
    private readonly twin: tf.LayersModel;
    private readonly classifier?: DomainClassifier;
    private readonly total: number;
    private steps = 0;
    private stream?: { batch: number; it: AsyncGenerator<Batch> };
    private sum = 0;
    private count = 0;

    private constructor(
        readonly spec: AdaptPlan,
        m: AdaptableModel,
        private readonly target: Dataset,
        private readonly split: SplitSelector,
        private readonly ownsTarget: boolean,
        plan: ExperimentPlan,
        options: AdaptationOptions
    ) {
        // One forward pass gives both the backbone features and the heads' logits (shared layers).
        this.twin = tf.model({ inputs: m.model.inputs, outputs: [m.backbone.outputs[0], ...m.model.outputs], name: `${m.model.name}_adapt` });
        const featureDim = featureSize(m.backbone);
        if (spec.method === 'dann') this.classifier = new DomainClassifier(featureDim, (plan.seed * 2654435761 + 97) >>> 0);
        this.total = totalSteps(plan, options.trainSize);
    }

    static async create(plan: ExperimentPlan, m: AdaptableModel, options: AdaptationOptions): Promise<Adaptation> {
        const spec = plan.adapt;
        if (!spec) throw new Error(`experiment ${plan.experiment} has no \`adapt\` statement`);
        const src = plan.data.image;
        const tgt = spec.target.image;
        if (src.height !== tgt.height || src.width !== tgt.width || src.channels !== tgt.channels) {
            throw new SpecError(
                `adapt to ${spec.target.name}: its images are ${tgt.height} x ${tgt.width} x ${tgt.channels}, the training data's ${src.height} x ${src.width} x ${src.channels}; give both datasets the same \`image\` statement`,
                spec.at
            );
        }
        if (!(spec.weight >= 0) || !Number.isFinite(spec.weight)) throw new SpecError(`adapt … weight must be a number ≥ 0, got ${spec.weight}`, spec.at);
        const target = options.target ?? (await loadDataset(spec.target, { seed: plan.seed, warn: options.warn }));
        const split = target.adaptationSplit();
        if (target.size(split) < 2) {
            if (!options.target) await target.close();
            throw new SpecError(`adapt to ${spec.target.name}: its ${split} split has ${target.size(split)} image(s); adaptation needs at least 2`, spec.at);
        }
        return new Adaptation(spec, m, target, split, !options.target, plan, options);
    }

    /** The domain classifier's weights (DANN), to train with the head's optimizer group. */
    get variables(): tf.Variable[] {
        return this.classifier?.variables ?? [];
    }

    /** DANN's reversal strength now: weight × 2/(1+e^(−10p)) − 1 over the steps of the whole run. */
    get lambda(): number {
        return this.spec.weight * dannRamp(this.steps / this.total);
    }

    /** The next unlabelled target batch (cycling through the target split, reshuffled each pass). Caller disposes. */
    async nextTarget(batchSize: number): Promise<tf.Tensor4D> {
        // Batches of at least 2 images: a covariance of one sample is undefined.
        const size = Math.max(2, Math.min(batchSize, this.target.size(this.split)));
        if (!this.stream || this.stream.batch !== size) {
            await this.stream?.it.return(undefined);
            this.stream = { batch: size, it: this.cycle(size) };
        }
        const next = await this.stream.it.next();
        if (next.done) throw new Error(`adapt to ${this.spec.target.name}: no target images`);
        const x = tf.clone(next.value.xs);
        next.value.dispose();
        return x;
    }

    private async *cycle(size: number): AsyncGenerator<Batch> {
        for (let pass = 0; ; pass++) {
            let yielded = 0;
            for await (const b of this.target.batches(this.split, { batchSize: size, epoch: pass, shuffle: true, augment: false, dropRemainder: true })) {
                if (b.size < 2) {
                    b.dispose();
                    continue;
                }
                yielded++;
                yield b;
            }
            if (yielded === 0) throw new SpecError(`adapt to ${this.spec.target.name}: no target image could be read`, this.spec.at);
        }
    }

    /**
     * Inside the training step: the heads' logits for the source batch and the weighted adaptation
     * term for (source, target). Source and target go through the network as ONE batch, as the
     * usual DANN/CORAL implementations do: BatchNorm then normalises both domains with the same
     * (mixed) statistics in training, which is also what its moving averages — used at
     * evaluation — accumulate. Counts one step of DANN's progress.
     */
    forward(sourceX: tf.Tensor4D, targetX: tf.Tensor4D): { logits: tf.Tensor2D[]; loss: tf.Scalar } {
        const ns = sourceX.shape[0];
        const nt = targetX.shape[0];
        const outs = this.twin.apply(tf.concat([sourceX, targetX], 0), { training: true }) as tf.Tensor[];
        const features = poolFeatures(outs[0]);
        const sourceFeatures = tf.slice(features, [0, 0], [ns, -1]) as tf.Tensor2D;
        const targetFeatures = tf.slice(features, [ns, 0], [nt, -1]) as tf.Tensor2D;
        const loss = adaptationLoss(this.spec.method, this.spec.weight, sourceFeatures, targetFeatures, this.classifier ? { classifier: this.classifier, lambda: this.lambda } : undefined);
        this.steps++;
        // Read back for the epoch's `adapt_loss` (a scalar; reading it inside the tape is harmless).
        this.sum += loss.dataSync()[0];
        this.count++;
        const logits = outs.slice(1).map((l) => tf.slice(l, [0, 0], [ns, -1]) as tf.Tensor2D);
        return { logits, loss };
    }

    /**
     * For BatchNorm statistics recomputed after training (the trainer's precise BN): each source
     * batch joined with a target batch, so the statistics are the mixed ones the network trained
     * with rather than source-only ones. Yields `{x, labels: []}`; the consumer disposes `x`.
     */
    async *withTargetBatches(source: AsyncIterable<{ x: tf.Tensor4D; labels: tf.Tensor2D[] }>, batchSize: number): AsyncGenerator<{ x: tf.Tensor4D; labels: tf.Tensor2D[] }> {
        for await (const b of source) {
            const tx = await this.nextTarget(batchSize);
            const x = tf.concat([b.x, tx], 0) as tf.Tensor4D;
            tf.dispose([tx, b.x, ...b.labels]);
            yield { x, labels: [] };
        }
    }

    /** `adapt_loss`: the mean adaptation term since the last call (for the epoch's metrics). */
    takeEpochMetrics(): Record<string, number> {
        const out: Record<string, number> = this.count ? { adapt_loss: this.sum / this.count } : {};
        this.sum = 0;
        this.count = 0;
        return out;
    }

    async close(): Promise<void> {
        await this.stream?.it.return(undefined);
        this.stream = undefined;
        this.classifier?.dispose();
        if (this.ownsTarget) await this.target.close();
    }
}

/** Length of the pooled feature vector of a backbone's output. */
export function featureSize(backbone: tf.LayersModel): number {
    const shape = backbone.outputs[0].shape;
    if (shape.length === 4) return shape[3] as number;
    return shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
}
