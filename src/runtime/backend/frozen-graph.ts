// Runs a functional tf.layers model with its frozen part compiled into fused inference ops.
//
// tf.layers executes a layer at a time: Conv2D, then BatchNormalization, then ReLU(6), each a
// full pass over memory (and a DepthwiseConv2D adds its bias as one more). For the layers that
// cannot change during a stage (no trainable weights, BatchNorm in inference mode), that order
// is fixed, so we rewrite it once:
//   ZeroPadding2D → Conv2D/DepthwiseConv2D('valid')  ⇒ the padding becomes the conv's own
//   conv → BatchNormalization                         ⇒ BN folded into kernel and bias
//   … → ReLU / ReLU(6) / Activation(relu|relu6|…)      ⇒ the conv's fused activation
//   Dense(activation)                                  ⇒ one fused matMul
// so that each conv is one XNNPACK call (tf.fused.conv2d / depthwiseConv2d) with bias and
// clamp built in. Everything else — including every layer that trains — runs through the
// layer's own `apply`, so gradients and training-mode behaviour are untouched above the
// frozen part. Compile again when the weights or the freezing change (the folded weights are
// snapshots).
import * as tf from '@tensorflow/tfjs';
import { foldLayerPair } from './fold-batchnorm.js';
import { PhaseThreads } from './native-kernels/phase-threads.js';

type Layer = tf.layers.Layer;
type Sym = tf.SymbolicTensor;
type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu';
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

interface GraphNode {
    layer: Layer;
    inputs: Sym[];
    outputs: Sym[];
    callArgs: Record<string, unknown>;
}

/** One executed step: reads symbolic tensor ids, writes others. */
interface Step {
    inputs: number[];
    outputs: number[];
    /** Compiled (fused, constant weights) rather than the layer's own apply. */
    compiled: boolean;
    /** Part of the frozen part (every compiled step is; so are fixed layers like Add there). */
    constant: boolean;
    layerNames: string[];
    run(inputs: tf.Tensor[], training: boolean): tf.Tensor[];
}

export interface FrozenGraphOptions {
    /**
     * Layers whose computation is fixed for as long as the compiled graph is used: no weight
     * changes, same behaviour in training and inference. Default: every layer (inference only).
     */
    constant?: (layer: Layer) => boolean;
}

/** Layers whose training-mode output is random: never constant when training is possible. */
const STOCHASTIC = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/**
 * Whether a layer computes the same function in a training step as in inference for the whole
 * stage: it has no weights that train, and a BatchNorm runs on its moving statistics
 * (`graftInference`, set by the stage's freezing; see train/model.ts).
 */
export function frozenForTraining(layer: Layer): boolean {
    if (STOCHASTIC.has(layer.getClassName())) return false;
    if (layer.trainable && layer.trainableWeights.length > 0) return false;
    if (layer.getClassName() === 'BatchNormalization') return (layer as Layer & { graftInference?: boolean }).graftInference === true;
    // A nested model is a black box here; its own layers decide (it runs through apply).
    return !(layer instanceof tf.LayersModel);
}

const FUSABLE: Record<string, Activation> = { linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', elu: 'elu' };

/** The fused activation a standalone activation layer amounts to, if any. */
function activationOf(layer: Layer): Activation | undefined {
    const config = layer.getConfig();
    if (layer.getClassName() === 'ReLU') {
        const max = config['maxValue'];
        if (max === null || max === undefined) return 'relu';
        return max === 6 ? 'relu6' : undefined;
    }
    if (layer.getClassName() === 'Activation') return FUSABLE[String(config['activation'])];
    return undefined;
}

/** A BatchNormalization over the last axis of a 4-D NHWC tensor (what folding assumes). */
function channelsLastAxis(layer: Layer): boolean {
    const axis = layer.getConfig()['axis'];
    const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
    return a === -1 || a === 3;
}

function ownActivation(layer: Layer): Activation | undefined {
    return FUSABLE[String(layer.getConfig()['activation'] ?? 'linear')];
}

/** Collects the nodes between the model's inputs and outputs in execution order. */
function topologicalNodes(model: tf.LayersModel): GraphNode[] {
    const inputIds = new Set(model.inputs.map((t) => t.id));
    const seen = new Set<string>();
    const order: GraphNode[] = [];
    const visit = (t: Sym): void => {
        if (inputIds.has(t.id)) return;
        const layer = t.sourceLayer as Layer;
        const key = `${layer.name}#${t.nodeIndex}`;
        if (seen.has(key)) return;
        seen.add(key);
        const node = (layer as unknown as { inboundNodes: { inputTensors: Sym[]; outputTensors: Sym[]; callArgs?: Record<string, unknown> }[] }).inboundNodes[t.nodeIndex];
        if (node === undefined) throw new Error(`frozen graph: layer ${layer.name} has no node ${t.nodeIndex}`);
        if (layer.getClassName() === 'InputLayer') throw new Error(`frozen graph: input ${layer.name} is not among the model's inputs`);
        for (const input of node.inputTensors) visit(input);
        order.push({ layer, inputs: node.inputTensors, outputs: node.outputTensors, callArgs: node.callArgs ?? {} });
    };
    for (const out of model.outputs) visit(out);
    return order;
}

function pair(v: unknown, fallback: number): [number, number] {
    if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
    return typeof v === 'number' ? [v, v] : [fallback, fallback];
}

/** ZeroPadding2D's padding as [[top, bottom], [left, right]]. */
function zeroPadding(layer: Layer): [[number, number], [number, number]] | undefined {
    const config = layer.getConfig();
    if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return undefined;
    const p = config['padding'];
    if (typeof p === 'number') return [[p, p], [p, p]];
    if (Array.isArray(p) && p.length === 2) {
        const [h, w] = p as unknown[];
        return [pair(h, 0), pair(w, 0)];
    }
    return undefined;
}

interface ConvPlan {
    conv: Layer;
    pad?: [[number, number], [number, number]];
    bn?: Layer;
    activation: Activation;
    layerNames: string[];
}

/** Snapshots the conv's weights (folding the BN) and returns its fused forward. */
function compileConv(plan: ConvPlan): { run: (x: tf.Tensor) => tf.Tensor; tensors: tf.Tensor[] } {
    const { conv } = plan;
    const config = conv.getConfig();
    const depthwise = conv.getClassName() === 'DepthwiseConv2D';
    let kernel: tf.Tensor4D;
    let bias: tf.Tensor1D | undefined;
    if (plan.bn) {
        const folded = foldLayerPair(conv, plan.bn);
        kernel = folded.kernel;
        bias = folded.bias;
    } else {
        const w = conv.getWeights();
        kernel = tf.keep(w[0]!.clone()) as tf.Tensor4D;
        bias = config['useBias'] !== false && w[1] ? (tf.keep(w[1].clone()) as tf.Tensor1D) : undefined;
    }
    tf.keep(kernel);
    if (bias) tf.keep(bias);
    const strides = pair(config['strides'], 1);
    const dilations = pair(config['dilationRate'], 1);
    const pad: 'same' | 'valid' | ExplicitPad = plan.pad
        ? [[0, 0], plan.pad[0], plan.pad[1], [0, 0]]
        : (String(config['padding']) as 'same' | 'valid');
    const activation = plan.activation;
    const run = depthwise
        ? // The kernels take explicit padding (computeConv2DInfo); only the op's type omits it.
          (x: tf.Tensor) => tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: kernel, strides, pad: pad as 'same', dilations, bias, activation })
        : (x: tf.Tensor) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: kernel, strides, pad, dilations, bias, activation });
    return { run, tensors: bias ? [kernel, bias] : [kernel] };
}

function compileDense(layer: Layer): { run: (x: tf.Tensor) => tf.Tensor; tensors: tf.Tensor[] } | undefined {
    const activation = ownActivation(layer);
    const w = layer.getWeights();
    if (activation === undefined || w[0] === undefined || w[0].rank !== 2) return undefined;
    const kernel = tf.keep(w[0].clone()) as tf.Tensor2D;
    const bias = w[1] ? (tf.keep(w[1].clone()) as tf.Tensor1D) : undefined;
    return {
        run: (x) => (x.rank === 2 ? tf.fused.matMul({ a: x as tf.Tensor2D, b: kernel, bias, activation }) : (layer.apply(x, { training: false }) as tf.Tensor)),
        tensors: bias ? [kernel, bias] : [kernel]
    };
}

/** A standalone inference-mode BatchNorm as one multiply-add with precomputed scale and offset. */
function compileBatchNorm(layer: Layer): { run: (x: tf.Tensor) => tf.Tensor; tensors: tf.Tensor[] } | undefined {
    const config = layer.getConfig();
    if (!channelsLastAxis(layer)) return undefined;
    const w = layer.getWeights();
    let i = 0;
    const gamma = config['scale'] !== false ? w[i++] : undefined;
    const beta = config['center'] !== false ? w[i++] : undefined;
    const mean = w[i++]!;
    const variance = w[i++]!;
    const [scale, offset] = tf.tidy(() => {
        const inv = tf.rsqrt(tf.add(variance, Number(config['epsilon'] ?? 1e-3)));
        const s = gamma ? tf.mul(gamma, inv) : inv;
        const o = tf.sub(beta ?? tf.zerosLike(mean), tf.mul(mean, s));
        return [tf.keep(s), tf.keep(o)];
    });
    return { run: (x) => tf.add(tf.mul(x, scale!), offset!), tensors: [scale!, offset!] };
}

export class FrozenGraph {
    /** Layers run as fused constant ops (BatchNorms folded in, paddings absorbed, activations fused). */
    readonly compiledLayers: string[] = [];
    private readonly steps: Step[] = [];
    private readonly owned: tf.Tensor[] = [];
    /** For constant tensors whose consumers are all constant: the step index of their last use. */
    private readonly lastUse = new Map<number, number>();
    /**
     * The one tensor the rest of the network reads from the frozen part, when there is exactly
     * one and it is computed (not a model input): its output can then be cached per image.
     */
    readonly boundary: tf.SymbolicTensor | undefined;
    /** Whether any layer runs in the frozen part (else runFrozen only passes the inputs on). */
    readonly hasFrozenPart: boolean;
    /** Tensors the trainable part (or the caller, as outputs) reads: what runFrozen keeps. */
    private readonly readAfterFrozen = new Set<number>();

    constructor(
        readonly model: tf.LayersModel,
        options: FrozenGraphOptions = {}
    ) {
        const isConstant = options.constant ?? (() => true);
        const nodes = topologicalNodes(model);
        const consumers = new Map<number, GraphNode[]>();
        for (const n of nodes) for (const t of n.inputs) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
        const outputIds = new Set(model.outputs.map((t) => t.id));
        const soleConsumer = (t: Sym): GraphNode | undefined => {
            const c = consumers.get(t.id);
            return c?.length === 1 && !outputIds.has(t.id) ? c[0] : undefined;
        };
        // A node is constant when its layer is and so are all its inputs (model inputs count).
        const constantIds = new Set(model.inputs.map((t) => t.id));
        const constantNode = new Set<GraphNode>();
        for (const n of nodes) {
            if (n.inputs.every((t) => constantIds.has(t.id)) && isConstant(n.layer)) {
                constantNode.add(n);
                for (const t of n.outputs) constantIds.add(t.id);
            }
        }
        const single = (n: GraphNode) => n.inputs.length === 1 && n.outputs.length === 1;
        const compilableConv = (n: GraphNode): boolean => {
            const kind = n.layer.getClassName();
            return constantNode.has(n) && single(n) && (kind === 'Conv2D' || kind === 'DepthwiseConv2D') && n.layer.getConfig()['dataFormat'] !== 'channelsFirst' && ownActivation(n.layer) !== undefined;
        };
        const producer = new Map<number, GraphNode>();
        for (const n of nodes) for (const t of n.outputs) producer.set(t.id, n);
        /** The ZeroPadding2D node whose padding `conv` takes over: it feeds only this 'valid' conv. */
        const paddingOf = (conv: GraphNode): GraphNode | undefined => {
            const pad = producer.get(conv.inputs[0]!.id);
            if (pad === undefined || pad.layer.getClassName() !== 'ZeroPadding2D' || !constantNode.has(pad) || !single(pad) || zeroPadding(pad.layer) === undefined) return undefined;
            return conv.layer.getConfig()['padding'] === 'valid' && soleConsumer(pad.outputs[0]!) === conv ? pad : undefined;
        };
        const absorbed = new Set<GraphNode>();
        for (const n of nodes) if (compilableConv(n)) {
            const pad = paddingOf(n);
            if (pad) absorbed.add(pad);
        }
        for (const n of nodes) {
            if (absorbed.has(n)) continue;
            const kind = n.layer.getClassName();
            const isConst = constantNode.has(n);
            if (compilableConv(n)) {
                this.addConv(n, paddingOf(n), { constantNode, soleConsumer, absorbed });
                continue;
            }
            let compiled: { run: (x: tf.Tensor) => tf.Tensor; tensors: tf.Tensor[] } | undefined;
            if (isConst && single(n)) {
                if (kind === 'Dense') compiled = compileDense(n.layer);
                else if (kind === 'BatchNormalization') compiled = compileBatchNorm(n.layer);
                else if (activationOf(n.layer) === 'relu6') compiled = { run: (x) => tf.relu6(x), tensors: [] };
                else if (activationOf(n.layer) === 'relu') compiled = { run: (x) => tf.relu(x), tensors: [] };
            }
            if (compiled) {
                const c = compiled;
                this.owned.push(...c.tensors);
                this.pushStep(n.inputs, n.outputs, true, true, [n.layer.name], (xs) => [c.run(xs[0]!)]);
            } else {
                const layer = n.layer;
                const callArgs = n.callArgs;
                this.pushStep(n.inputs, n.outputs, false, isConst, [layer.name], (xs, training) => {
                    const out = layer.apply(xs.length === 1 ? xs[0]! : xs, { ...callArgs, training }) as tf.Tensor | tf.Tensor[];
                    return Array.isArray(out) ? out : [out];
                });
            }
        }
        // Constant intermediates that only constant steps read are freed after their last read.
        const compiledReaders = new Map<number, number>();
        const allConstantReaders = new Map<number, boolean>();
        this.steps.forEach((s, i) => {
            for (const id of s.inputs) {
                compiledReaders.set(id, i);
                allConstantReaders.set(id, (allConstantReaders.get(id) ?? true) && s.compiled);
            }
        });
        const producedByCompiled = new Set(this.steps.filter((s) => s.compiled).flatMap((s) => s.outputs));
        for (const [id, last] of compiledReaders) {
            if (producedByCompiled.has(id) && allConstantReaders.get(id) === true && !outputIds.has(id)) this.lastUse.set(id, last);
        }
        const crossing = new Map<number, Sym>();
        for (const n of nodes) {
            if (constantNode.has(n) || absorbed.has(n)) continue;
            for (const t of n.inputs) if (constantIds.has(t.id)) crossing.set(t.id, t);
        }
        const inputIds = new Set(model.inputs.map((t) => t.id));
        const constantOutput = model.outputs.some((t) => constantIds.has(t.id));
        const only = crossing.size === 1 ? [...crossing.values()][0]! : undefined;
        this.boundary = only && !inputIds.has(only.id) && !constantOutput ? only : undefined;
        this.hasFrozenPart = this.steps.some((step) => step.constant);
        for (const t of model.outputs) this.readAfterFrozen.add(t.id);
        for (const step of this.steps) if (!step.constant) for (const id of step.inputs) this.readAfterFrozen.add(id);
    }

    private pushStep(inputs: Sym[], outputs: Sym[], compiled: boolean, constant: boolean, layerNames: string[], run: Step['run']): void {
        this.steps.push({ inputs: inputs.map((t) => t.id), outputs: outputs.map((t) => t.id), compiled, constant, layerNames, run });
        if (compiled) this.compiledLayers.push(...layerNames);
    }

    /** One fused step for a conv with (when they follow alone) its padding, BatchNorm and activation. */
    private addConv(
        n: GraphNode,
        pad: GraphNode | undefined,
        ctx: { constantNode: Set<GraphNode>; soleConsumer: (t: Sym) => GraphNode | undefined; absorbed: Set<GraphNode> }
    ): void {
        const plan: ConvPlan = { conv: n.layer, activation: ownActivation(n.layer)!, layerNames: [] };
        let input = n.inputs[0]!;
        if (pad) {
            plan.pad = zeroPadding(pad.layer);
            plan.layerNames.push(pad.layer.name);
            input = pad.inputs[0]!;
        }
        plan.layerNames.push(n.layer.name);
        let out = n.outputs[0]!;
        const next = ctx.soleConsumer(out);
        if (plan.activation === 'linear' && next && ctx.constantNode.has(next) && next.layer.getClassName() === 'BatchNormalization' && next.inputs.length === 1 && channelsLastAxis(next.layer)) {
            plan.bn = next.layer;
            plan.layerNames.push(next.layer.name);
            ctx.absorbed.add(next);
            out = next.outputs[0]!;
        }
        const after = ctx.soleConsumer(out);
        if (plan.activation === 'linear' && after && ctx.constantNode.has(after) && after.inputs.length === 1) {
            const act = activationOf(after.layer);
            if (act !== undefined) {
                plan.activation = act;
                plan.layerNames.push(after.layer.name);
                ctx.absorbed.add(after);
                out = after.outputs[0]!;
            }
        }
        const compiled = compileConv(plan);
        this.owned.push(...compiled.tensors);
        this.steps.push({ inputs: [input.id], outputs: [out.id], compiled: true, constant: true, layerNames: plan.layerNames, run: (xs) => [compiled.run(xs[0]!)] });
        this.compiledLayers.push(...plan.layerNames);
    }


    /**
     * The model's outputs for `inputs`, like `model.apply(inputs, { training })`. Inside a
     * gradient tape, prefer runFrozen outside it + applyFrom inside: tfjs only fuses a conv's
     * activation when no tape is recording, and the frozen part needs no gradients.
     */
    apply(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor | tf.Tensor[] {
        const values = this.inputValues(inputs);
        this.execute(values, () => true, kwargs.training === true);
        return this.outputs(values);
    }

    /**
     * Runs the frozen part for `inputs` and keeps what the rest of the network reads from it
     * (the model inputs included). Call it outside the gradient tape; dispose the result after
     * the step.
     */
    runFrozen(inputs: tf.Tensor | tf.Tensor[]): FrozenValues {
        const kept = this.frozenThreads.run(() =>
            tf.tidy(() => {
                const values = this.inputValues(inputs);
                this.execute(values, (s) => s.constant, false);
                return [...values].filter(([id]) => this.readAfterFrozen.has(id));
            })
        );
        const inputIds = new Set(this.model.inputs.map((t) => t.id));
        return new FrozenValues(new Map(kept), new Set(kept.map(([id]) => id).filter((id) => !inputIds.has(id))));
    }

    /** The rest of the network from runFrozen's values: the model's outputs, like apply. */
    applyFrom(frozen: FrozenValues, kwargs: { training?: boolean } = {}): tf.Tensor | tf.Tensor[] {
        const values = new Map(frozen.values);
        this.execute(values, (s) => !s.constant, kwargs.training === true, new Set(frozen.values.keys()));
        return this.outputs(values);
    }

    /** The boundary tensor for `inputs` (see `boundary`), computed outside any tape; the caller disposes it. */
    frozenOutput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        const id = this.boundary?.id;
        if (id === undefined) throw new Error(`frozen graph: ${this.model.name} has no single frozen output`);
        return this.frozenThreads.run(() =>
            tf.tidy(() => {
                const values = this.inputValues(inputs);
                this.execute(values, (s) => s.constant, false);
                return values.get(id)!;
            })
        );
    }

    /** The trainable part as a function of the boundary tensor (e.g. cached per image): the model's outputs. */
    applyTail(boundary: tf.Tensor, kwargs: { training?: boolean } = {}): tf.Tensor | tf.Tensor[] {
        const id = this.boundary?.id;
        if (id === undefined) throw new Error(`frozen graph: ${this.model.name} has no single frozen output`);
        return this.applyFrom(new FrozenValues(new Map([[id, boundary]]), new Set()), kwargs);
    }

    /** The native kernels' thread count for predict and for runFrozen, each measured (native-kernels/phase-threads.ts). */
    readonly inferenceThreads = new PhaseThreads();
    private readonly frozenThreads = new PhaseThreads();

    /** Inference: like `model.predict` on one batch (no tape, intermediates freed). */
    predict(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
        return this.inferenceThreads.run(() => tf.tidy(() => this.apply(inputs, { training: false })));
    }

    private inputValues(inputs: tf.Tensor | tf.Tensor[]): Map<number, tf.Tensor> {
        const given = Array.isArray(inputs) ? inputs : [inputs];
        if (given.length !== this.model.inputs.length) throw new Error(`frozen graph: ${this.model.name} takes ${this.model.inputs.length} inputs, got ${given.length}`);
        const values = new Map<number, tf.Tensor>();
        this.model.inputs.forEach((t, i) => values.set(t.id, given[i]!));
        return values;
    }

    /** Runs the selected steps in order; frees constant intermediates after their last read. */
    private execute(values: Map<number, tf.Tensor>, selected: (s: Step) => boolean, training: boolean, borrowed = new Set<number>()): void {
        const inputIds = new Set(this.model.inputs.map((t) => t.id));
        this.steps.forEach((step, i) => {
            if (!selected(step)) return;
            const xs = step.inputs.map((id) => {
                const v = values.get(id);
                if (v === undefined) throw new Error(`frozen graph: a tensor of ${step.layerNames[0]} was not computed`);
                return v;
            });
            const ys = step.run(xs, training);
            step.outputs.forEach((id, k) => values.set(id, ys[k]!));
            for (const id of step.inputs) {
                if (this.lastUse.get(id) === i && !inputIds.has(id) && !borrowed.has(id)) {
                    values.get(id)!.dispose();
                    values.delete(id);
                }
            }
        });
    }

    private outputs(values: Map<number, tf.Tensor>): tf.Tensor | tf.Tensor[] {
        const outs = this.model.outputs.map((t) => values.get(t.id)!);
        return outs.length === 1 ? outs[0]! : outs;
    }

    dispose(): void {
        tf.dispose(this.owned);
        this.owned.length = 0;
    }
}

/** The frozen part's results for one batch (see FrozenGraph.runFrozen). */
export class FrozenValues {
    constructor(
        readonly values: ReadonlyMap<number, tf.Tensor>,
        /** Ids of the tensors computed here (model inputs pass through and stay the caller's). */
        private readonly owned: ReadonlySet<number>
    ) {}

    dispose(): void {
        for (const id of this.owned) this.values.get(id)?.dispose();
    }
}

/** Compiles `model`; see FrozenGraph. */
export function compileFrozenGraph(model: tf.LayersModel, options: FrozenGraphOptions = {}): FrozenGraph {
    return new FrozenGraph(model, options);
}
