// A training step for a head of dense layers on cached features, with its backward written out
// instead of recorded by autodiff.
//
// When the backbone is frozen, each step trains only the head: for a linear probe that is a
// 32×1,280 by 1,280×10 product, a loss and an Adam update, microseconds of arithmetic. Through
// tfjs' gradient tape the same step was about 20 kernel dispatches (the forward, the tape's copies
// of what it saves, a backward op per forward op, a Sum for the bias) and took twice PyTorch's
// time. Here each hidden layer is one forward kernel and one backward kernel (the weight, bias and
// input gradients, masked by dropout and the activation below), and the logits layer with the
// loss is a single kernel, forward and backward (backend/native-kernels/dense.ts). Where those
// kernels are absent the same runs as a fused matmul per layer, the loss kernel of fused-loss.ts
// and tfjs ops. The update goes through the stage's GroupOptimizer like any other step
// (clipping, weight decay, learning-rate groups).
//
// It covers the heads a spec writes most (`pool`, `dense N relu|tanh|linear`, `dropout`, the
// softmax output with crossentropy) and says why for any other; those train through autodiff as
// before. Same arithmetic, same random draws: both paths give the same weights to float rounding
// (test/train/dense-head-step.test.ts).
import * as tf from '@tensorflow/tfjs';
import type { OutputHeadPlan } from '../../core/plan/types.js';
import { BELOW_ACTIVATION, DENSE_FORWARD, DENSE_GRAD, DENSE_SOFTMAX, type DenseGradAttrs, type DenseSoftmaxAttrs } from '../backend/native-kernels/dense.js';
import { crossentropyAndGradient } from './fused-loss.js';
import type { GroupOptimizer, ParamGroups } from './optimizers.js';

type Activation = keyof typeof BELOW_ACTIVATION;

/** One dense layer of the chain, and the dropout (if any) between it and the next. */
interface DenseLink {
    kernel: tf.Variable;
    bias: tf.Variable;
    activation: Activation;
    dropout?: { rate: number; seed?: number };
}

/** The dense layer under the one being differentiated: its activation, its output before dropout, the dropout multiplier. */
type Below = { activation: Activation; out: tf.Tensor2D; mult?: tf.Tensor2D };

/** What one layer's forward keeps for the backward. */
interface Saved {
    input: tf.Tensor2D;
    /** The activation's output, before dropout. */
    out: tf.Tensor2D;
    mult?: tf.Tensor2D;
}

/** Layers without weights that may come before the first dense layer (run without gradients). */
const PREFIX_CLASSES = new Set(['Flatten', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Dropout']);

/** Steps taken this process (tests check which path trained). */
export let denseHeadSteps = 0;

export class DenseHeadStep {
    private constructor(
        private readonly prefix: tf.layers.Layer[],
        private readonly chain: DenseLink[],
        private readonly head: OutputHeadPlan & { loss: { kind: 'crossentropy' } }
    ) {}

    /**
     * The step for a single head whose layers are `layers` (the plan's head, ending in the logits
     * layer), when every trainable variable of the stage is one of its dense layers' weights; else
     * why not. GRAFT_DENSE_HEAD=0 turns it off (A/B and tests).
     */
    static of(layers: tf.layers.Layer[][], heads: OutputHeadPlan[], groups: ParamGroups): DenseHeadStep | { reason: string } {
        if (process.env['GRAFT_DENSE_HEAD'] === '0') return { reason: 'turned off by GRAFT_DENSE_HEAD=0' };
        if (heads.length !== 1 || layers.length !== 1) return { reason: 'more than one head' };
        const head = heads[0]!;
        if (head.activation !== 'softmax' || head.loss.kind !== 'crossentropy') return { reason: `the loss is ${head.loss.kind} over ${head.activation}` };
        if (groups.backbone.length > 0) return { reason: 'backbone layers train too' };
        const firstDense = layers[0]!.findIndex((l) => l.getClassName() === 'Dense');
        const prefix = layers[0]!.slice(0, Math.max(firstDense, 0));
        const bad = prefix.find((l) => !PREFIX_CLASSES.has(l.getClassName()));
        if (firstDense < 0 || bad) return { reason: `the head has a ${bad?.getClassName() ?? 'missing'} layer before its first dense layer` };
        const chain: DenseLink[] = [];
        for (const layer of layers[0]!.slice(firstDense)) {
            const config = layer.getConfig();
            if (layer.getClassName() === 'Dropout') {
                const last = chain[chain.length - 1]!;
                if (last.dropout || config['noiseShape'] != null) return { reason: 'two dropouts in a row, or a dropout noise shape' };
                const rate = Number(config['rate']);
                // tf.layers' Dropout does nothing outside 0 < rate < 1; neither does the step.
                if (rate > 0 && rate < 1) last.dropout = { rate, seed: config['seed'] as number | undefined };
                continue;
            }
            if (layer.getClassName() !== 'Dense') return { reason: `the head has a ${layer.getClassName()} layer` };
            const activation = String(config['activation']);
            if (!(activation in BELOW_ACTIVATION)) return { reason: `a dense layer's activation is ${activation}` };
            const regularized = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'].some((k) => config[k] != null);
            const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
            if (!layer.trainable || config['useBias'] !== true || weights.length !== 2 || regularized) return { reason: `dense layer ${layer.name} is frozen, has no bias, or is regularised` };
            chain.push({ kernel: weights[0]!, bias: weights[1]!, activation: activation as Activation });
        }
        const last = chain[chain.length - 1]!;
        if (last.activation !== 'linear' || last.dropout) return { reason: 'the head does not end in its logits layer' };
        const own = new Set(chain.flatMap((l) => [l.kernel, l.bias]));
        if (groups.head.length !== own.size || !groups.head.every((v) => own.has(v))) return { reason: 'other variables train with the head' };
        return new DenseHeadStep(prefix, chain, head as OutputHeadPlan & { loss: { kind: 'crossentropy' } });
    }

    /**
     * One optimizer step on a batch: `x` the cached features, `labels` one-hot, `sampleWeights`
     * from class weights. Returns the batch loss and the logits (both kept; the caller disposes).
     */
    run(x: tf.Tensor, labels: tf.Tensor2D, sampleWeights: tf.Tensor1D | undefined, optimizer: GroupOptimizer, groups: ParamGroups): { loss: tf.Scalar; logits: tf.Tensor2D } {
        const { loss, logits, grads } = tf.tidy(() => {
            let h = x;
            for (const layer of this.prefix) h = layer.apply(h, { training: true }) as tf.Tensor;
            const saved: Saved[] = [];
            let input = h as tf.Tensor2D;
            const top = this.chain.length - 1;
            for (const link of this.chain.slice(0, top)) {
                const out = denseForward(input, link);
                // The same draws, in the same order, as tf.layers' Dropout (tf.dropout) would make.
                const mult = link.dropout ? dropoutMultiplier(out.shape, link.dropout.rate, link.dropout.seed) : undefined;
                saved.push({ input, out, mult });
                input = mult ? (tf.mul(out, mult) as tf.Tensor2D) : out;
            }
            const named: tf.NamedTensorMap = {};
            const below = (j: number) => (j > 0 ? { activation: this.chain[j - 1]!.activation, out: saved[j - 1]!.out, mult: saved[j - 1]!.mult } : undefined);
            const record = (link: DenseLink, g: { dw: tf.Tensor; db: tf.Tensor }) => {
                named[link.kernel.name] = g.dw;
                named[link.bias.name] = g.db;
            };
            // The logits layer and the loss: one kernel where it exists, else forward, loss, backward.
            const fused = this.head.weight === 1 ? denseSoftmax(input, this.chain[top]!, labels, sampleWeights, this.head.loss.smoothing, below(top)) : undefined;
            let value: tf.Scalar;
            let z: tf.Tensor2D;
            let dz: tf.Tensor2D | undefined;
            if (fused) {
                ({ loss: value, logits: z, dx: dz } = fused);
                record(this.chain[top]!, fused);
            } else {
                z = denseForward(input, this.chain[top]!);
                saved.push({ input, out: z });
                [value, dz] = crossentropyAndGradient(z, labels, sampleWeights, this.head.loss.smoothing);
                if (this.head.weight !== 1) {
                    value = tf.mul(value, this.head.weight) as tf.Scalar;
                    dz = tf.mul(dz, this.head.weight) as tf.Tensor2D;
                }
            }
            for (let j = fused ? top - 1 : top; j >= 0; j--) {
                const g = denseBackward(saved[j]!.input, dz!, this.chain[j]!.kernel, below(j));
                record(this.chain[j]!, g);
                dz = g.dx;
            }
            return { loss: value, logits: z, grads: named };
        });
        optimizer.applyGradients(groups, grads);
        denseHeadSteps++;
        return { loss, logits };
    }
}

/** y = act(x·w + b) as tf.layers' Dense computes it (one fused kernel for linear and relu). */
function denseForward(x: tf.Tensor2D, link: DenseLink): tf.Tensor2D {
    if (tf.getKernel(DENSE_FORWARD, tf.getBackend()) !== undefined) {
        const fused = link.activation === 'tanh' ? 'linear' : link.activation;
        const y = tf.engine().runKernel(DENSE_FORWARD, { x, w: link.kernel, b: link.bias }, { activation: fused }) as tf.Tensor2D;
        return link.activation === 'tanh' ? tf.tanh(y) : y;
    }
    const w = link.kernel as tf.Tensor as tf.Tensor2D;
    if (link.activation === 'tanh') return tf.tanh(tf.fused.matMul({ a: x, b: w, bias: link.bias })) as tf.Tensor2D;
    return tf.fused.matMul({ a: x, b: w, bias: link.bias, activation: link.activation }) as tf.Tensor2D;
}

/**
 * The logits layer with the softmax crossentropy in one native kernel (GraftDenseSoftmax): the
 * loss, the logits, the layer's gradients and dx as denseBackward gives it; undefined where the
 * kernel is absent.
 */
function denseSoftmax(
    x: tf.Tensor2D,
    link: DenseLink,
    labels: tf.Tensor2D,
    sampleWeights: tf.Tensor1D | undefined,
    smoothing: number,
    below?: Below
): { loss: tf.Scalar; logits: tf.Tensor2D; dw: tf.Tensor2D; db: tf.Tensor1D; dx?: tf.Tensor2D } | undefined {
    if (link.activation !== 'linear' || tf.getKernel(DENSE_SOFTMAX, tf.getBackend()) === undefined) return undefined;
    // The kernel reads float32 only (labels from tf.oneHot are int32), and as many label columns
    // as the layer has outputs: anything else goes the unfused way, whose ops check and name shapes.
    if (![x, labels, sampleWeights].every((t) => t === undefined || t.dtype === 'float32')) return undefined;
    const rows = x.shape[0];
    if (!tf.util.arraysEqual(labels.shape, [rows, link.kernel.shape[1]!]) || (sampleWeights && !tf.util.arraysEqual(sampleWeights.shape, [rows]))) return undefined;
    const inputs: tf.NamedTensorMap = { x, w: link.kernel, b: link.bias, labels };
    if (sampleWeights) inputs['weights'] = sampleWeights;
    const attrs: DenseSoftmaxAttrs = { ...withBelow(inputs, below), smoothing };
    const [loss, logits, dw, db, dx] = tf.engine().runKernel(DENSE_SOFTMAX, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { loss: loss as tf.Scalar, logits: logits as tf.Tensor2D, dw: dw as tf.Tensor2D, db: db as tf.Tensor1D, dx: dx as tf.Tensor2D | undefined };
}

/** tf.dropout's multiplier: floor(u + keep) / keep, u uniform in [0, 1). */
function dropoutMultiplier(shape: number[], rate: number, seed: number | undefined): tf.Tensor2D {
    const keep = 1 - rate;
    return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep) as tf.Tensor2D;
}

/**
 * The gradients of one dense layer from dz (the gradient for its pre-activation output): dw, db,
 * and for a layer with a dense layer below, dx carried back through that layer's dropout and
 * activation, so it is the gradient for the pre-activation output below.
 */
export function denseBackward(x: tf.Tensor2D, dz: tf.Tensor2D, w: tf.Variable, below?: Below): { dw: tf.Tensor2D; db: tf.Tensor1D; dx?: tf.Tensor2D } {
    if (tf.getKernel(DENSE_GRAD, tf.getBackend()) !== undefined) {
        const inputs: tf.NamedTensorMap = { x, dz, w };
        const attrs = withBelow(inputs, below);
        const [dw, db, dx] = tf.engine().runKernel(DENSE_GRAD, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return { dw: dw as tf.Tensor2D, db: db as tf.Tensor1D, dx: dx as tf.Tensor2D | undefined };
    }
    return denseBackwardOps(x, dz, w, below);
}

/** Adds the layer below's tensors to a native dense kernel's inputs and returns its attributes. */
function withBelow(inputs: tf.NamedTensorMap, below: Below | undefined): DenseGradAttrs {
    if (below) inputs['a'] = below.out;
    if (below?.mult) inputs['mult'] = below.mult;
    return { below: below ? BELOW_ACTIVATION[below.activation] : 0, needDx: below !== undefined };
}

/** The same gradients from tfjs ops (backends without the native kernel; tests compare both). */
export function denseBackwardOps(x: tf.Tensor2D, dz: tf.Tensor2D, w: tf.Variable, below?: Below): { dw: tf.Tensor2D; db: tf.Tensor1D; dx?: tf.Tensor2D } {
    const dw = tf.matMul(x, dz, true, false) as tf.Tensor2D;
    const db = tf.sum(dz, 0) as tf.Tensor1D;
    if (!below) return { dw, db };
    let dx: tf.Tensor2D = tf.matMul(dz, w as tf.Tensor as tf.Tensor2D, false, true);
    if (below.mult) dx = tf.mul(dx, below.mult);
    if (below.activation === 'relu') dx = tf.mul(dx, tf.step(below.out) as tf.Tensor2D);
    if (below.activation === 'tanh') dx = tf.mul(dx, tf.sub(1, tf.square(below.out)) as tf.Tensor2D);
    return { dw, db, dx };
}
