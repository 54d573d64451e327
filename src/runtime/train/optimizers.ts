// Optimizers for a custom training loop (model.fit is slow per step on these backends).
// Two parameter groups: the head (the optimizer's lr) and unfrozen backbone layers (`backbone lr`,
// discriminative fine-tuning). Each group has its own tfjs optimizer so that its state and LR are
// separate; a schedule scales both groups by the same factor. Gradients are clipped by their
// global norm over both groups together (`clip_norm`), as torch.nn.utils.clip_grad_norm_ does.

import * as tf from '@tensorflow/tfjs';
import type { OptimizerPlan } from '../../core/plan/types.js';
import { FlatAdam, variablesSignature } from './flat-adam.js';

/** One float32 tensor of optimizer state (a moment, an accumulator, an iteration count). */
export interface StateTensor {
    name: string;
    shape: number[];
    values: Float32Array;
}

/** A group's optimizer state, for `--resume`: its tensors and (FlatAdam) its step and variables. */
export interface GroupState {
    signature?: string;
    step?: number;
    tensors: StateTensor[];
}

/** Both groups' optimizer state; restored only into an optimizer of the same kind. */
export interface OptimizerSnapshot {
    kind: OptimizerPlan['kind'];
    head?: GroupState;
    backbone?: GroupState;
}

/** What a group's optimizer does: tfjs' optimizers, or FlatAdam (one update for all variables). */
interface Stepper {
    learningRate: number;
    apply(vars: tf.Variable[], grads: tf.NamedTensorMap): void;
    snapshot(): Promise<GroupState | undefined>;
    /** Throws when `state` does not belong to `vars` (another network or freezing). */
    restore(state: GroupState, vars: tf.Variable[]): Promise<void>;
    dispose(): void;
}

function makeOptimizer(plan: OptimizerPlan, lr: number): Stepper {
    if (plan.kind === 'adam' || plan.kind === 'adamw') {
        // AdamW = Adam + weight decay applied to the weights directly (decoupled), not via the gradient.
        const adam = new FlatAdam(lr, 0.9, 0.999, 1e-7);
        return {
            get learningRate() {
                return adam.learningRate;
            },
            set learningRate(value: number) {
                adam.learningRate = value;
            },
            apply: (vars, grads) => {
                const present = vars.filter((v) => grads[v.name] != null);
                adam.applyGradients(present, present.map((v) => grads[v.name]!));
            },
            snapshot: async () => {
                const state = await adam.snapshot();
                if (state === undefined) return undefined;
                return {
                    signature: state.signature,
                    step: state.step,
                    tensors: [
                        { name: 'm', shape: [state.m.length], values: state.m },
                        { name: 'v', shape: [state.v.length], values: state.v }
                    ]
                };
            },
            restore: async (state, vars) => {
                const m = state.tensors.find((t) => t.name === 'm');
                const v = state.tensors.find((t) => t.name === 'v');
                const total = vars.reduce((n, x) => n + x.size, 0);
                if (!m || !v || state.step === undefined || m.values.length !== total || v.values.length !== total || state.signature !== variablesSignature(vars)) {
                    throw new Error(`it holds moments for other weights (${m?.values.length ?? 0} values, the stage trains ${total})`);
                }
                adam.restore({ signature: state.signature, step: state.step, m: m.values, v: v.values });
            },
            dispose: () => adam.dispose()
        };
    }
    const opt = makeTfOptimizer(plan, lr);
    return {
        get learningRate() {
            return (opt as unknown as { learningRate: number }).learningRate;
        },
        set learningRate(value: number) {
            setLearningRate(opt, value);
        },
        apply: (vars, grads) => {
            const map: tf.NamedTensorMap = {};
            for (const v of vars) if (grads[v.name]) map[v.name] = grads[v.name];
            if (Object.keys(map).length) opt.applyGradients(map);
        },
        snapshot: async () => {
            const named = await opt.getWeights();
            const tensors = await Promise.all(named.map(async (t) => ({ name: t.name, shape: [...t.tensor.shape], values: Float32Array.from(await t.tensor.data()) })));
            return { tensors };
        },
        // tfjs' optimizers match accumulators to variables by position (one set of accumulators
        // after another): the same network and freezing give the same order in a new process.
        restore: async (state, vars) => {
            const accumulators = state.tensors.filter((t) => t.name !== 'iter');
            const fits =
                vars.length > 0 &&
                accumulators.length % vars.length === 0 &&
                accumulators.every((t, i) => t.shape.join('x') === vars[i % vars.length]!.shape.join('x') && t.values.length === vars[i % vars.length]!.size);
            if (!fits) throw new Error(`it holds ${accumulators.length} accumulators that do not match the ${vars.length} weights the stage trains`);
            await opt.setWeights(state.tensors.map((t) => ({ name: t.name, tensor: tf.tensor(t.values, t.shape) })));
        },
        dispose: () => opt.dispose()
    };
}

function makeTfOptimizer(plan: Exclude<OptimizerPlan, { kind: 'adam' | 'adamw' }>, lr: number): tf.Optimizer {
    switch (plan.kind) {
        case 'sgd':
            return plan.momentum > 0 ? tf.train.momentum(lr, plan.momentum, plan.nesterov) : tf.train.sgd(lr);
        case 'rmsprop':
            return tf.train.rmsprop(lr, 0.9, plan.momentum, 1e-7);
    }
}

function setLearningRate(opt: tf.Optimizer, lr: number): void {
    // SGD/momentum cache -lr in a kept scalar and expose setLearningRate; Adam and RMSProp read the field.
    const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
    if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
    else o.learningRate = lr;
}

export interface ParamGroups {
    head: tf.Variable[];
    backbone: tf.Variable[];
}

/** Decoupled weight decay applies to kernels, not to biases or BatchNorm parameters (the usual AdamW practice). */
function decays(v: tf.Variable): boolean {
    return v.rank >= 2;
}

export class GroupOptimizer {
    private readonly head: Stepper;
    private readonly backbone: Stepper;
    private headLr: number;
    private backboneLr: number;

    constructor(
        readonly plan: OptimizerPlan,
        /** `backbone lr`; undefined = the optimizer's lr. */
        readonly baseBackboneLr: number | undefined,
        readonly clipNorm?: number
    ) {
        this.headLr = plan.lr;
        this.backboneLr = baseBackboneLr ?? plan.lr;
        this.head = makeOptimizer(plan, this.headLr);
        this.backbone = makeOptimizer(plan, this.backboneLr);
    }

    /** Sets the head LR; the backbone group keeps its ratio to it. */
    setLr(lr: number): void {
        this.headLr = lr;
        this.backboneLr = (lr * (this.baseBackboneLr ?? this.plan.lr)) / this.plan.lr;
        this.head.learningRate = this.headLr;
        this.backbone.learningRate = this.backboneLr;
    }

    get lrs(): { head: number; backbone: number } {
        return { head: this.headLr, backbone: this.backboneLr };
    }

    /** One step: gradients of `lossFn` for both groups, clipped, applied. Returns the loss value (kept; caller disposes). */
    step(groups: ParamGroups, lossFn: () => tf.Scalar): tf.Scalar {
        const { value, grads } = tf.variableGrads(lossFn, [...groups.head, ...groups.backbone]);
        this.applyGradients(groups, grads);
        return value;
    }

    /**
     * Clips `grads` (by variable name) and applies them to both groups; takes ownership of them.
     * `step` computes them by autodiff; train/dense-head-step.ts in closed form.
     */
    applyGradients(groups: ParamGroups, grads: tf.NamedTensorMap): void {
        try {
            if (this.clipNorm !== undefined) clipByGlobalNorm(grads, this.clipNorm);
            if (this.plan.kind === 'adamw') {
                tf.tidy(() => {
                    for (const v of groups.head) if (decays(v)) v.assign(tf.mul(v, 1 - this.headLr * (this.plan as { decay: number }).decay));
                    for (const v of groups.backbone) if (decays(v)) v.assign(tf.mul(v, 1 - this.backboneLr * (this.plan as { decay: number }).decay));
                });
            }
            this.head.apply(groups.head, grads);
            this.backbone.apply(groups.backbone, grads);
        } finally {
            tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => g != null));
        }
    }

    /** The moments and step counts of both groups (saved with the weights after each epoch). */
    async snapshot(): Promise<OptimizerSnapshot> {
        return { kind: this.plan.kind, head: await this.head.snapshot(), backbone: await this.backbone.snapshot() };
    }

    /**
     * Continues from a snapshot of an optimizer of the same kind for the same trainable weights;
     * false (nothing restored) for another kind. Throws, restoring nothing, when the snapshot
     * does not fit `groups`.
     */
    async restore(snapshot: OptimizerSnapshot, groups: ParamGroups): Promise<boolean> {
        if (snapshot.kind !== this.plan.kind) return false;
        // Validate both groups before changing either.
        const probe = (group: 'head' | 'backbone') => {
            const state = snapshot[group];
            const vars = groups[group];
            if (state && state.tensors.length > 0 && vars.length === 0) throw new Error(`it has ${group} state, but no ${group} weights train in this stage`);
        };
        probe('head');
        probe('backbone');
        if (snapshot.head && groups.head.length) await this.head.restore(snapshot.head, groups.head);
        if (snapshot.backbone && groups.backbone.length) await this.backbone.restore(snapshot.backbone, groups.backbone);
        return true;
    }

    dispose(): void {
        this.head.dispose();
        this.backbone.dispose();
    }
}

/** Scales all gradients in place (in the map) so their global L2 norm is at most `maxNorm`. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): number {
    const names = Object.keys(grads).filter((n) => grads[n] != null);
    const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))).dataSync()[0]);
    if (norm > maxNorm && norm > 0) {
        const scale = maxNorm / norm;
        for (const n of names) {
            const scaled = tf.mul(grads[n], scale);
            grads[n].dispose();
            grads[n] = scaled;
        }
    }
    return norm;
}
