// Assembles the trainable network from a backbone (a tfjs layers model: input → feature map)
// and the plan's head(s): one stack of pool/dense/dropout/batchnorm per named head, ending in a
// dense layer that produces logits (softmax/sigmoid are applied by the losses and at export).
// Freezing is applied by layer name with the shared freezing rules, so what `graft plan` and the
// editor show is what trains.

import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from '../zoo/batchnorm-layer.js';
import type { ExperimentPlan, HeadLayerPlan, OutputHeadPlan, SpecLoc, StagePlan } from '../../core/plan/types.js';
import type { BackboneDescription, LayerInfo } from '../../core/zoo/catalog-types.js';
import { applyFreezeOps, FreezeError, initialMask, type TrainableMask } from '../../core/plan/freezing.js';
import type { ParamGroups } from './optimizers.js';

/** An error caused by a spec construct; `at` names its line. */
export class SpecError extends Error {
    constructor(message: string, readonly at?: SpecLoc) {
        super(message);
    }
}

export interface HeadInfo {
    plan: OutputHeadPlan;
    classes: number;
    layers: tf.layers.Layer[];
}

export interface AssembledModel {
    /** input → [logits of each head], in plan order. */
    model: tf.LayersModel;
    backbone: tf.LayersModel;
    /** Backbone layers in order (without the input layer). */
    backboneLayers: tf.layers.Layer[];
    heads: HeadInfo[];
    /** The backbone as the freezing rules see it (from the plan, else read from the model). */
    description: BackboneDescription;
    /**
     * Whether the backbone starts from trained weights. `batchnorm frozen` keeps pretrained
     * statistics; a randomly initialised backbone has none to keep, so its BatchNorm trains.
     */
    pretrained: boolean;
    /**
     * `baseline scratch`: every layer trains in every stage, whatever the freezing statements say
     * (training from random weights has nothing to keep frozen).
     */
    trainAll?: boolean;
}

const BN_CLASS = 'BatchNormalization';

/** A backbone description read from a built model, for backbones the plan could not describe. */
export function describeModel(model: tf.LayersModel, label: string): BackboneDescription {
    // Index 0 is the input layer, as in Keras' model.layers and the zoo catalog.
    const layers: LayerInfo[] = model.layers.map((l, index) => ({
            index,
            name: l.name,
            className: l.getClassName(),
        outputShape: (l.outputShape as number[]).slice(1),
        params: l.countParams()
    }));
    const out = model.outputs[0].shape.slice(1) as number[];
    return {
        arch: 'model',
        label,
        inputShape: (model.inputs[0].shape.slice(1) as number[]),
        layers,
        blocks: [],
        params: model.countParams(),
        featureLayer: layers.length ? layers[layers.length - 1].name : '',
        featureShape: out
    };
}

/** Drops every layer after `layer` (`cut at`). */
export function cutBackbone(model: tf.LayersModel, layer: string, at: SpecLoc): tf.LayersModel {
    let target: tf.layers.Layer;
    try {
        target = model.getLayer(layer);
    } catch {
        throw new SpecError(`cut at "${layer}": the backbone has no such layer`, at);
    }
    return tf.model({ inputs: model.inputs, outputs: target.output as tf.SymbolicTensor, name: `${model.name}_cut` });
}

function headLayer(spec: HeadLayerPlan, name: string, index: number): tf.layers.Layer {
    const layerName = `${name}_${spec.kind}_${index}`;
    switch (spec.kind) {
        case 'pool':
            if (spec.mode === 'average') return tf.layers.globalAveragePooling2d({ name: layerName });
            if (spec.mode === 'max') return tf.layers.globalMaxPooling2d({ name: layerName });
            return tf.layers.flatten({ name: layerName });
        case 'dense':
            return tf.layers.dense({ units: spec.units, activation: spec.activation, name: layerName });
        case 'dropout':
            return tf.layers.dropout({ rate: spec.rate, name: layerName });
        case 'batchnorm':
            return batchNormalization({ name: layerName });
    }
}

/**
 * Builds the heads on top of `backbone`. `classesOf` gives each head's number of outputs.
 * Shape problems name the head's spec line.
 */
export function assembleModel(
    backbone: tf.LayersModel,
    plan: ExperimentPlan,
    classesOf: (head: OutputHeadPlan) => number,
    description?: BackboneDescription,
    /** Seeds the heads' initial weights; default: the plan's seed. */
    seed = plan.seed
): AssembledModel {
    if (plan.head.kind !== 'output') throw new SpecError('a prototypes head has no trainable model', plan.head.at);
    const feature = backbone.outputs[0];
    const heads: HeadInfo[] = [];
    const outputs: tf.SymbolicTensor[] = [];
    for (const head of plan.head.heads) {
        const classes = classesOf(head);
        const layers: tf.layers.Layer[] = [];
        let x = feature;
        try {
            head.layers.forEach((spec, i) => {
                const layer = headLayer(spec, head.name, i + 1);
                layers.push(layer);
                x = layer.apply(x) as tf.SymbolicTensor;
            });
            if (x.shape.length !== 2) {
                throw new SpecError(
                    `head ${head.name}: the output gets a ${x.shape.length - 1}-D feature map [${x.shape.slice(1).join(', ')}]; start the head with \`pool average\`, \`pool max\` or \`pool flatten\``,
                    head.at
                );
            }
            const out = tf.layers.dense({ units: classes, activation: 'linear', name: `${head.name}_logits` });
            layers.push(out);
            outputs.push(out.apply(x) as tf.SymbolicTensor);
        } catch (err) {
            if (err instanceof SpecError) throw err;
            throw new SpecError(`head ${head.name} does not fit the backbone's output [${feature.shape.slice(1).join(', ')}]: ${(err as Error).message}`, head.at);
        }
        heads.push({ plan: head, classes, layers });
    }
    const model = tf.model({ inputs: backbone.inputs, outputs, name: plan.experiment });
    initializeWeights(heads.flatMap((h) => h.layers), seed * 31 + 7);
    const backboneLayers = backbone.layers.filter((l) => l.getClassName() !== 'InputLayer');
    const pretrained = !(plan.backbone.kind === 'zoo' && plan.backbone.weights.kind === 'none');
    markFreshBatchNorm(heads.flatMap((h) => h.layers));
    if (!pretrained) markFreshBatchNorm(backboneLayers);
    return { model, backbone, backboneLayers, heads, description: description ?? describeModel(backbone, plan.experiment), pretrained };
}

type InferenceFlag = { graftInference?: boolean; graftFreshSteps?: number; momentum?: number };

/**
 * tfjs-layers' BatchNormalization ignores `trainable` and normalises with batch statistics whenever
 * it is called with training=true (Keras 2+ switches frozen BN to inference mode). Wrapping `call`
 * once per layer lets a flag force inference mode: moving statistics are used and never updated.
 *
 * Freshly initialised statistics (0 mean, unit variance) are arbitrary: with Keras' momentum 0.99
 * they dominate for hundreds of steps, and a short training from scratch then evaluates with
 * statistics far from the data's. For such layers the moving average starts as a running mean of
 * the batches (decay 1/t) and becomes the EMA once 1/t falls below 1 − momentum: the same limit,
 * without the initial bias (like a zero-debiased EMA).
 */
function patchBatchNorm(layer: tf.layers.Layer): void {
    const l = layer as tf.layers.Layer & InferenceFlag & { graftPatched?: boolean };
    if (l.graftPatched) return;
    const original = l.call.bind(l);
    l.call = (inputs, kwargs) => {
        if (l.graftInference) return original(inputs, { ...kwargs, training: false });
        if (kwargs?.training && l.graftFreshSteps !== undefined && l.momentum !== undefined) {
            const momentum = l.momentum;
            l.graftFreshSteps++;
            // precise recalibration: a plain running mean over all its batches
            const precise = (l as { graftPrecise?: boolean }).graftPrecise;
            l.momentum = precise ? 1 - 1 / l.graftFreshSteps : Math.min(momentum, 1 - 1 / l.graftFreshSteps);
            try {
                return original(inputs, kwargs);
            } finally {
                l.momentum = momentum;
            }
        }
        return original(inputs, kwargs);
    };
    l.graftPatched = true;
}

/** Backbone BatchNorm layers that normalise with batch statistics in training mode (they update their moving averages). */
export function batchNormInTraining(m: AssembledModel): tf.layers.Layer[] {
    return m.backboneLayers.filter((l) => l.getClassName() === BN_CLASS && !(l as tf.layers.Layer & InferenceFlag).graftInference);
}

/**
 * "Precise BatchNorm" (Wu & Johnson 2021): replaces the moving averages of `layers` with the mean
 * of per-batch statistics under the final weights. Keras' EMA (momentum 0.99) lags far behind the
 * weights in a short training, and inference then sees statistics of weights long gone.
 */
export async function recalibrateBatchNorm(m: AssembledModel, layers: tf.layers.Layer[], batches: AsyncIterable<{ x: tf.Tensor4D; labels: tf.Tensor2D[] }>, maxBatches: number): Promise<number> {
    if (layers.length === 0) return 0;
    const saved = layers.map((l) => l.getWeights().map((w) => tf.keep(w.clone())));
    const inference = layers.map((l) => (l as tf.layers.Layer & InferenceFlag).graftInference);
    for (const l of layers) {
        patchBatchNorm(l);
        (l as tf.layers.Layer & InferenceFlag).graftInference = false;
        const w = l.getWeights();
        // gamma, beta, moving_mean, moving_variance: restart the averages as a plain running mean
        l.setWeights([w[0], w[1], tf.zerosLike(w[2]), tf.onesLike(w[3])]);
        (l as tf.layers.Layer & InferenceFlag).graftFreshSteps = 0;
        (l as tf.layers.Layer & InferenceFlag & { graftPrecise?: boolean }).graftPrecise = true;
    }
    let n = 0;
    try {
        for await (const batch of batches) {
            if (n < maxBatches) tf.dispose(tf.tidy(() => m.backbone.apply(batch.x, { training: true }) as tf.Tensor));
            tf.dispose([batch.x, ...batch.labels]);
            n++;
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (n >= maxBatches) break;
        }
    } catch (err) {
        layers.forEach((l, i) => l.setWeights(saved[i]));
        throw err;
    } finally {
        layers.forEach((l, i) => {
            delete (l as tf.layers.Layer & InferenceFlag).graftFreshSteps;
            delete (l as tf.layers.Layer & InferenceFlag & { graftPrecise?: boolean }).graftPrecise;
            (l as tf.layers.Layer & InferenceFlag).graftInference = inference[i];
        });
        tf.dispose(saved.flat());
    }
    return n;
}

/** A resumed run restores trained statistics: plain EMA from there on. */
export function clearFreshBatchNorm(layers: tf.layers.Layer[]): void {
    for (const layer of layers) delete (layer as tf.layers.Layer & InferenceFlag).graftFreshSteps;
}

/** Marks BatchNorm layers whose moving statistics are still their initial values (see patchBatchNorm). */
export function markFreshBatchNorm(layers: tf.layers.Layer[]): void {
    for (const layer of layers) {
        if (layer.getClassName() !== BN_CLASS) continue;
        patchBatchNorm(layer);
        (layer as tf.layers.Layer & InferenceFlag).graftFreshSteps = 0;
    }
}

export interface FreezeResult {
    mask: TrainableMask;
    /** Backbone layers whose weights train in this stage. */
    trainableLayers: string[];
    trainableParams: number;
}

/**
 * Applies a stage's freezing statements to the running mask and sets `trainable` on the layers.
 * `batchnorm frozen`: every BatchNorm of a pretrained backbone runs in inference mode and does
 * not train (the Keras fine-tuning recipe); `trainable`, or a backbone from random weights:
 * BatchNorm follows the mask, and a frozen one still runs in inference mode.
 */
export function applyStageFreezing(m: AssembledModel, stage: StagePlan, mask: TrainableMask | undefined): FreezeResult {
    let next: TrainableMask;
    try {
        next = applyFreezeOps(m.description, mask ?? initialMask(m.description), stage.freeze);
        if (m.trainAll) next = next.map(() => true);
    } catch (err) {
        if (err instanceof FreezeError) throw new SpecError(err.message, stage.at);
        throw err;
    }
    const byName = new Map(m.description.layers.map((l, i) => [l.name, i]));
    const trainableLayers: string[] = [];
    for (const layer of m.backboneLayers) {
        const i = byName.get(layer.name);
        let trains = i === undefined ? false : next[i];
        const isBn = layer.getClassName() === BN_CLASS;
        if (isBn) {
            patchBatchNorm(layer);
            if (stage.batchnorm === 'frozen' && m.pretrained) trains = false;
            (layer as tf.layers.Layer & InferenceFlag).graftInference = !trains;
        }
        layer.trainable = trains;
        if (trains && layer.trainableWeights.length > 0) trainableLayers.push(layer.name);
    }
    for (const h of m.heads) for (const l of h.layers) l.trainable = true;
    const groups = paramGroups(m);
    const count = (vs: tf.Variable[]): number => vs.reduce((s, v) => s + v.size, 0);
    return { mask: next, trainableLayers, trainableParams: count(groups.head) + count(groups.backbone) };
}

/** The variables that train now, split into head and backbone groups (for `backbone lr`). */
export function paramGroups(m: AssembledModel): ParamGroups {
    const vars = (layers: tf.layers.Layer[]): tf.Variable[] =>
        layers.filter((l) => l.trainable).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    return { head: vars(m.heads.flatMap((h) => h.layers)), backbone: vars(m.backboneLayers) };
}

/**
 * Re-initialises weights from the seeded generator (kernels Glorot-uniform, the Keras default;
 * biases/β/moving means 0; γ/moving variances 1), so that a seed fixes the starting point whatever
 * initialisers the builder used.
 */
export function initializeWeights(layers: tf.layers.Layer[], seed: number): void {
    let k = 0;
    tf.tidy(() => {
        for (const layer of layers) {
            for (const w of layer.weights) {
                const v = w.read() as tf.Variable;
                const name = w.originalName ?? w.name;
                k++;
                let value: tf.Tensor;
                if (/(gamma|moving_variance)$/.test(name)) value = tf.onesLike(v);
                else if (v.rank >= 2) {
                    const shape = v.shape;
                    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
                    const isDepthwise = /depthwise/.test(name);
                    const fanIn = shape[shape.length - 2] * receptive;
                    const fanOut = (isDepthwise ? shape[shape.length - 2] * shape[shape.length - 1] : shape[shape.length - 1]) * receptive;
                    const limit = Math.sqrt(6 / (fanIn + fanOut));
                    value = tf.randomUniform(shape, -limit, limit, 'float32', (seed * 1000003 + k * 7919) >>> 0 || 1);
                } else value = tf.zerosLike(v);
                v.assign(value);
            }
        }
    });
}

/** Copies weight values between two assembled models of the same architecture (best checkpoint restore). */
export function snapshotWeights(model: tf.LayersModel): tf.Tensor[] {
    return model.weights.map((w) => tf.keep(tf.clone(w.read())));
}

export function restoreWeights(model: tf.LayersModel, snapshot: tf.Tensor[]): void {
    model.weights.forEach((w, i) => (w.read() as tf.Variable).assign(snapshot[i]));
}
