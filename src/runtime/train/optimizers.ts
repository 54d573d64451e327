// Optimizers for a custom training loop (model.fit is slow per step on these backends).
// Two parameter groups: the head (the optimizer's lr) and unfrozen backbone layers (`backbone lr`,
// discriminative fine-tuning). Each group has its own tfjs optimizer so that its state and LR are
// separate; a schedule scales both groups by the same factor. Gradients are clipped by their
// global norm over both groups together (`clip_norm`), as torch.nn.utils.clip_grad_norm_ does.

import * as tf from '@tensorflow/tfjs';
import type { OptimizerPlan } from '../plan/types.js';

function makeOptimizer(plan: OptimizerPlan, lr: number): tf.Optimizer {
    switch (plan.kind) {
        case 'sgd':
            return plan.momentum > 0 ? tf.train.momentum(lr, plan.momentum, plan.nesterov) : tf.train.sgd(lr);
        case 'adam':
        case 'adamw':
            // AdamW = Adam + weight decay applied to the weights directly (decoupled), not via the gradient.
            return tf.train.adam(lr, 0.9, 0.999, 1e-7);
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
    private readonly head: tf.Optimizer;
    private readonly backbone: tf.Optimizer;
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
        setLearningRate(this.head, this.headLr);
        setLearningRate(this.backbone, this.backboneLr);
    }

    get lrs(): { head: number; backbone: number } {
        return { head: this.headLr, backbone: this.backboneLr };
    }

    /** One step: gradients of `lossFn` for both groups, clipped, applied. Returns the loss value (kept; caller disposes). */
    step(groups: ParamGroups, lossFn: () => tf.Scalar): tf.Scalar {
        const all = [...groups.head, ...groups.backbone];
        const { value, grads } = tf.variableGrads(lossFn, all);
        try {
            if (this.clipNorm !== undefined) clipByGlobalNorm(grads, this.clipNorm);
            if (this.plan.kind === 'adamw') {
                tf.tidy(() => {
                    for (const v of groups.head) if (decays(v)) v.assign(tf.mul(v, 1 - this.headLr * (this.plan as { decay: number }).decay));
                    for (const v of groups.backbone) if (decays(v)) v.assign(tf.mul(v, 1 - this.backboneLr * (this.plan as { decay: number }).decay));
                });
            }
            const pick = (vars: tf.Variable[]): tf.NamedTensorMap => {
                const map: tf.NamedTensorMap = {};
                for (const v of vars) if (grads[v.name]) map[v.name] = grads[v.name];
                return map;
            };
            const headGrads = pick(groups.head);
            const backboneGrads = pick(groups.backbone);
            if (Object.keys(headGrads).length) this.head.applyGradients(headGrads);
            if (Object.keys(backboneGrads).length) this.backbone.applyGradients(backboneGrads);
        } finally {
            tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => g != null));
        }
        return value;
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
