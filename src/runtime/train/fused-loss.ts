// Softmax crossentropy as one forward kernel and one backward kernel, and the per-step epoch tally.
//
// Written with tfjs ops, `crossentropy` is about 10 kernels forward (log-softmax, the smoothing,
// the weighted mean) and about 20 more for autodiff to go back through them, plus a copy of
// every tensor the tape saves. On the offline backends a kernel dispatch costs about as much as
// the arithmetic on a [batch, classes] tensor, so for a dense head on cached features the loss
// was most of a step. Here the forward computes the batch loss and, in the same pass, its
// gradient with respect to the logits; the backward only scales that by the incoming gradient.
//
// On wasm both are JavaScript loops over the heap (as backend/wasm-kernels/ do: see heap.ts);
// elsewhere the same quantities come from tfjs ops, still with the short backward.
//
// The training loop's epoch metrics (loss sum, correct predictions) are kept the same way: a
// tally tensor updated by one kernel per step and read once per epoch, instead of five kernels
// for the accuracy and two awaited reads per step.
import * as tf from '@tensorflow/tfjs';
import { heapBackend } from '../backend/wasm-kernels/heap.js';

export const SOFTMAX_CROSSENTROPY = 'GraftSoftmaxCrossEntropy';
export const EPOCH_TALLY = 'GraftEpochTally';

interface CrossentropyAttrs {
    smoothing: number;
}

/**
 * Inputs `logits` [B, C], `labels` [B, C], optional `weights` [B]. Outputs the batch loss (a
 * scalar: the mean over samples of weight · -Σ_c t_c log softmax(z)_c, t = y(1-s) + s/C) and its
 * gradient for the logits, weight/B · (softmax(z) · Σ_c t_c - t). Σ_c t_c is 1 for one-hot
 * labels; keeping it makes soft or multi-hot targets exact too. Sums run in float64.
 */
function crossentropyKernel({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }): tf.TensorInfo[] {
    const { smoothing } = attrs as unknown as CrossentropyAttrs;
    const heap = heapBackend(backend);
    const logitsInfo = inputs['logits']!;
    const [rows, classes] = logitsInfo.shape as [number, number];
    const lossOut = heap.makeOutput([], 'float32');
    const gradOut = heap.makeOutput([rows, classes], 'float32');
    // Views after allocating: growing the heap detaches older views.
    const z = heap.typedArrayFromHeap(logitsInfo) as Float32Array;
    const y = heap.typedArrayFromHeap(inputs['labels']!) as Float32Array;
    const w = inputs['weights'] ? (heap.typedArrayFromHeap(inputs['weights']) as Float32Array) : undefined;
    const grad = heap.typedArrayFromHeap(gradOut) as Float32Array;
    const keep = 1 - smoothing;
    const spread = smoothing / classes;
    let total = 0;
    for (let i = 0, row = 0; i < rows; i++, row += classes) {
        let max = -Infinity;
        for (let c = 0; c < classes; c++) if (z[row + c]! > max) max = z[row + c]!;
        // exp(z - max) goes into the gradient's row first: one exp per logit.
        let sumExp = 0;
        for (let c = 0; c < classes; c++) {
            const e = Math.exp(z[row + c]! - max);
            grad[row + c] = e;
            sumExp += e;
        }
        const logSum = Math.log(sumExp);
        let loss = 0;
        let targetSum = 0;
        for (let c = 0; c < classes; c++) {
            const t = y[row + c]! * keep + spread;
            targetSum += t;
            loss -= t * (z[row + c]! - max - logSum);
        }
        const weight = w ? w[i]! : 1;
        total += weight * loss;
        const scale = weight / rows;
        for (let c = 0; c < classes; c++) {
            const p = grad[row + c]! / sumExp;
            grad[row + c] = scale * (p * targetSum - (y[row + c]! * keep + spread));
        }
    }
    (heap.typedArrayFromHeap(lossOut) as Float32Array)[0] = total / rows;
    return [lossOut, gradOut];
}

/** The index of a row's largest value, the first one on ties (as tf.argMax). */
function rowArgMax(values: Float32Array, row: number, width: number): number {
    let best = 0;
    let max = values[row]!;
    for (let c = 1; c < width; c++) {
        if (values[row + c]! > max) {
            max = values[row + c]!;
            best = c;
        }
    }
    return best;
}

/**
 * Inputs `tally` [2] (loss sum, correct), `loss` (the step's batch-mean loss), and optionally
 * `logits` and `labels` [B, C] for the accuracy; attr `count` (B). Output: a new tally with
 * loss·B added, and the samples whose largest logit is at their label's largest entry.
 */
function tallyKernel({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }): tf.TensorInfo {
    const count = (attrs as unknown as { count: number }).count;
    const heap = heapBackend(backend);
    const out = heap.makeOutput([2], 'float32');
    const before = heap.typedArrayFromHeap(inputs['tally']!) as Float32Array;
    const loss = (heap.typedArrayFromHeap(inputs['loss']!) as Float32Array)[0]!;
    let hits = 0;
    if (inputs['logits'] && inputs['labels']) {
        const [rows, classes] = inputs['logits'].shape as [number, number];
        const z = heap.typedArrayFromHeap(inputs['logits']) as Float32Array;
        const y = heap.typedArrayFromHeap(inputs['labels']) as Float32Array;
        for (let i = 0, row = 0; i < rows; i++, row += classes) if (rowArgMax(z, row, classes) === rowArgMax(y, row, classes)) hits++;
    }
    const after = heap.typedArrayFromHeap(out) as Float32Array;
    after[0] = before[0]! + loss * count;
    after[1] = before[1]! + hits;
    return out;
}

let registered = false;

/** Whether the heap kernels serve the current backend (registered for wasm on first use). */
function heapKernels(): boolean {
    if (tf.getBackend() !== 'wasm') return false;
    if (!registered) {
        registered = true;
        if (tf.getKernel(SOFTMAX_CROSSENTROPY, 'wasm') === undefined) {
            tf.registerKernel({ kernelName: SOFTMAX_CROSSENTROPY, backendName: 'wasm', kernelFunc: crossentropyKernel as unknown as tf.KernelFunc });
        }
        if (tf.getKernel(EPOCH_TALLY, 'wasm') === undefined) {
            tf.registerKernel({ kernelName: EPOCH_TALLY, backendName: 'wasm', kernelFunc: tallyKernel as unknown as tf.KernelFunc });
        }
    }
    return true;
}

/** The batch loss and its gradient for the logits (see crossentropyKernel), from tfjs ops. */
function crossentropyOps(logits: tf.Tensor2D, labels: tf.Tensor2D, sampleWeights: tf.Tensor1D | undefined, smoothing: number): [tf.Scalar, tf.Tensor2D] {
    const [rows, classes] = logits.shape;
    const targets = smoothing > 0 ? tf.add(tf.mul(labels, 1 - smoothing), smoothing / classes) : labels;
    const logP = tf.logSoftmax(logits);
    const perSample = tf.neg(tf.sum(tf.mul(targets, logP), 1)) as tf.Tensor1D;
    const value = (sampleWeights ? tf.mean(tf.mul(perSample, sampleWeights)) : tf.mean(perSample)) as tf.Scalar;
    const residual = tf.sub(tf.mul(tf.exp(logP), tf.sum(targets, 1, true)), targets);
    const scale = sampleWeights ? tf.reshape(tf.div(sampleWeights, rows), [rows, 1]) : 1 / rows;
    return [value, tf.mul(residual, scale) as tf.Tensor2D];
}

/**
 * Softmax crossentropy on logits with label smoothing and per-sample weights, differentiable in
 * the logits. Labels and weights are data: no gradient flows to them (none of Graft's losses
 * needs one).
 */
export function fusedCrossentropy(logits: tf.Tensor2D, labels: tf.Tensor2D, sampleWeights: tf.Tensor1D | undefined, smoothing: number, ops = false): tf.Scalar {
    const op = tf.customGrad((z: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
        const [value, grad] = crossentropyAndGradient(z as tf.Tensor2D, labels, sampleWeights, smoothing, ops);
        // Saved (the engine keeps a copy) only while a gradient tape records.
        (save as tf.GradSaveFunc)([grad]);
        return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0]!, dy) };
    });
    return op(logits) as tf.Scalar;
}

/**
 * The same loss and its gradient for the logits as plain tensors, for a step that does its own
 * backward (train/dense-head-step.ts): one kernel on wasm, tfjs ops elsewhere (or with `ops`).
 */
export function crossentropyAndGradient(logits: tf.Tensor2D, labels: tf.Tensor2D, sampleWeights: tf.Tensor1D | undefined, smoothing: number, ops = false): [tf.Scalar, tf.Tensor2D] {
    // The heap kernel reads labels and weights by the logits' shape: a mismatch must not read past them.
    if (!tf.util.arraysEqual(labels.shape, logits.shape) || (sampleWeights && !tf.util.arraysEqual(sampleWeights.shape, [logits.shape[0]]))) {
        throw new Error(`crossentropy: labels [${labels.shape}]${sampleWeights ? ` and weights [${sampleWeights.shape}]` : ''} do not match logits [${logits.shape}] (one label column per output class)`);
    }
    if (!ops && heapKernels()) {
        const inputs: tf.NamedTensorMap = { logits, labels };
        if (sampleWeights) inputs['weights'] = sampleWeights;
        const attrs: CrossentropyAttrs = { smoothing };
        return tf.engine().runKernel(SOFTMAX_CROSSENTROPY, inputs, attrs as unknown as tf.NamedAttrMap) as [tf.Scalar, tf.Tensor2D];
    }
    return crossentropyOps(logits, labels, sampleWeights, smoothing);
}

/**
 * An epoch's running loss sum and correct count, on the backend: one kernel per step, one read
 * at the end of the epoch.
 */
export class EpochTally {
    private tally: tf.Tensor1D = tf.keep(tf.zeros([2]));

    /** Adds a step: its batch-mean `loss` over `count` samples; accuracy from `logits`/`labels` when given. */
    add(loss: tf.Scalar, count: number, logits?: tf.Tensor2D, labels?: tf.Tensor2D): void {
        let next: tf.Tensor1D;
        if (heapKernels()) {
            const inputs: tf.NamedTensorMap = { tally: this.tally, loss };
            if (logits && labels) Object.assign(inputs, { logits, labels });
            next = tf.engine().runKernel(EPOCH_TALLY, inputs, { count }) as tf.Tensor1D;
        } else {
            next = tf.tidy(() => {
                const hits = logits && labels ? tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(labels, 1)), 'float32')) : tf.scalar(0);
                return tf.add(this.tally, tf.stack([tf.mul(loss, count), hits])) as tf.Tensor1D;
            });
        }
        this.tally.dispose();
        this.tally = tf.keep(next);
    }

    /** The loss sum (Σ batch loss · batch size) and the correct count so far. */
    async read(): Promise<{ lossSum: number; correct: number }> {
        const [lossSum, correct] = await this.tally.data();
        return { lossSum: lossSum!, correct: correct! };
    }

    dispose(): void {
        this.tally.dispose();
    }
}
