// Adam over all of a group's variables at once.
//
// tf.train.adam updates each variable with ~15 small kernels (moments, bias correction, step).
// Fine-tuning a few blocks touches 20-200 variables, so that is hundreds to thousands of kernel
// dispatches per step, and on the CPU/wasm backends a dispatch costs about as much as the
// arithmetic of a small tensor. Here the gradients are concatenated into one vector, the same
// Adam arithmetic runs once on it (with the bias corrections as plain numbers), and the result
// is split back: ~15 dispatches plus a reshape per variable, whatever the variable count.
// The update is Adam exactly as tf.train.adam computes it (Kingma & Ba; epsilon added to
// sqrt(v̂)), so results match it to float rounding.
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamUpdateAttrs } from '../backend/wasm-kernels/adam-update.js';

/**
 * Which variables a flat moment vector belongs to: their shapes in order. Names are left out on
 * purpose: tfjs numbers variable names per process, so a resumed run may name the same weights
 * differently.
 */
export function variablesSignature(vars: tf.Variable[]): string {
    return vars.map((v) => v.shape.join('x')).join('|');
}

export interface FlatAdamState {
    /** The variables (names and sizes) the moments belong to. */
    signature: string;
    step: number;
    m: Float32Array;
    v: Float32Array;
}

export class FlatAdam {
    learningRate: number;
    private m: tf.Tensor1D | undefined;
    private v: tf.Tensor1D | undefined;
    private signature = '';
    /** The variables `signature` was computed for: the same ones next step skip rebuilding it. */
    private signed: tf.Variable[] = [];
    private step = 0;

    constructor(
        learningRate: number,
        readonly beta1 = 0.9,
        readonly beta2 = 0.999,
        readonly epsilon = 1e-7
    ) {
        this.learningRate = learningRate;
    }

    /** One Adam step for `vars` with `grads` (same order). The moments restart if the variable set changes. */
    applyGradients(vars: tf.Variable[], grads: tf.Tensor[]): void {
        if (vars.length === 0) return;
        // A variable's shape never changes, so the same variables keep their signature: comparing
        // references saves formatting every shape at every step (hundreds when fine-tuning).
        const same = vars.length === this.signed.length && vars.every((v, i) => v === this.signed[i]);
        const signature = same ? this.signature : variablesSignature(vars);
        if (signature !== this.signature) {
            this.reset();
            this.signature = signature;
        }
        if (!same) this.signed = vars.slice();
        const total = vars.reduce((n, v) => n + v.size, 0);
        this.m ??= tf.keep(tf.zeros([total]) as tf.Tensor1D);
        this.v ??= tf.keep(tf.zeros([total]) as tf.Tensor1D);
        this.step++;
        const c1 = 1 - this.beta1 ** this.step;
        const c2 = 1 - this.beta2 ** this.step;
        if (this.fused) {
            this.applyFused(vars, grads, c1, c2);
            return;
        }
        const [m, v, updated] = tf.tidy(() => {
            const g = vars.length === 1 ? tf.reshape(grads[0]!, [total]) : tf.concat(grads.map((t) => tf.reshape(t, [-1])));
            const m1 = tf.add(tf.mul(this.m!, this.beta1), tf.mul(g, 1 - this.beta1)) as tf.Tensor1D;
            const v1 = tf.add(tf.mul(this.v!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)) as tf.Tensor1D;
            const denominator = tf.add(tf.sqrt(tf.div(v1, c2)), this.epsilon);
            const delta = tf.mul(tf.div(m1, denominator), this.learningRate / c1);
            const values = vars.length === 1 ? [tf.reshape(vars[0]!, [total])] : vars.map((x) => tf.reshape(x, [-1]));
            const current = values.length === 1 ? values[0]! : tf.concat(values);
            const next = tf.sub(current, delta);
            // One slice per variable: tf.split (SplitV) is several times slower on wasm.
            let offset = 0;
            const parts = vars.map((x) => {
                const part = vars.length === 1 ? next : tf.slice(next, [offset], [x.size]);
                offset += x.size;
                return part;
            });
            return [tf.keep(m1), tf.keep(v1), parts.map((p, i) => tf.keep(tf.reshape(p, vars[i]!.shape)))] as const;
        });
        this.m?.dispose();
        this.v?.dispose();
        this.m = m;
        this.v = v;
        vars.forEach((x, i) => {
            x.assign(updated[i]!);
            updated[i]!.dispose();
        });
    }

    /**
     * Whether the one-kernel update runs (backend/wasm-kernels/adam-update.ts: wasm only, same
     * float32 arithmetic); `GRAFT_FLAT_ADAM_OPS=1` keeps the tfjs formulation (A/B, tests).
     */
    private get fused(): boolean {
        return process.env['GRAFT_FLAT_ADAM_OPS'] !== '1' && tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
    }

    private applyFused(vars: tf.Variable[], grads: tf.Tensor[], c1: number, c2: number): void {
        const inputs: tf.NamedTensorMap = { m: this.m!, v: this.v! };
        vars.forEach((x, i) => {
            inputs[`x${i}`] = x;
            inputs[`g${i}`] = grads[i]!;
        });
        const attrs: AdamUpdateAttrs = { count: vars.length, lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, c1, c2 };
        const [m, v, ...updated] = tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        this.m!.dispose();
        this.v!.dispose();
        this.m = tf.keep(m!) as tf.Tensor1D;
        this.v = tf.keep(v!) as tf.Tensor1D;
        vars.forEach((x, i) => {
            x.assign(updated[i]!);
            updated[i]!.dispose();
        });
    }

    /** The moments and step count, for `--resume` (undefined before the first step). */
    async snapshot(): Promise<FlatAdamState | undefined> {
        if (this.m === undefined || this.v === undefined) return undefined;
        return { signature: this.signature, step: this.step, m: (await this.m.data()) as Float32Array, v: (await this.v.data()) as Float32Array };
    }

    /** Continues from a snapshot: the next step with the same variables is step `step + 1`. */
    restore(state: FlatAdamState): void {
        this.reset();
        this.signature = state.signature;
        this.signed = [];
        this.step = state.step;
        this.m = tf.keep(tf.tensor1d(state.m));
        this.v = tf.keep(tf.tensor1d(state.v));
    }

    private reset(): void {
        this.signed = [];
        this.m?.dispose();
        this.v?.dispose();
        this.m = undefined;
        this.v = undefined;
        this.step = 0;
    }

    dispose(): void {
        this.reset();
    }
}
