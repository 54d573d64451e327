// One dense layer of a head, forward and backward, each a single native call, for
// train/dense-head-step.ts (which uses tfjs ops where these kernels are absent).
// - GraftDense: y = act(x·w + b) on the native sgemm. tf.fused.matMul computes the same through
//   _FusedMatMul, but reshapes both operands to 3-D and back around it: 30 µs against 12 µs for a
//   linear probe's 32×1,280 by 1,280×10 product.
// - GraftDenseGrad (native/graft_kernels.cc, denseGrad): the weight and bias gradients, and the
//   gradient for the layer's input already multiplied by the dropout mask and the derivative of
//   the activation below. Autodiff runs the same as two BatchMatMuls, a Sum and a mask op or two,
//   each with its own dispatch and tape copy.
// - GraftDenseSoftmax: the logits layer with its softmax crossentropy, forward and backward: the
//   three calls above in one (logits, the loss and its gradient, then GraftDenseGrad's work).
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { nativeCalls } from './register.js';
import { ACTIVATION_CODES } from './conv.js';
import { withOutput, withOutputs } from './run-native.js';

export const DENSE_FORWARD = 'GraftDense';
export const DENSE_GRAD = 'GraftDenseGrad';
export const DENSE_SOFTMAX = 'GraftDenseSoftmax';

/** The activation of the layer below, whose output `a` feeds this one: its derivative from `a`. */
export const BELOW_ACTIVATION = { linear: 0, relu: 1, tanh: 2 } as const;

export interface DenseSoftmaxAttrs extends DenseGradAttrs {
    /** Label smoothing s: targets y(1 - s) + s/C. */
    smoothing: number;
}

export interface DenseGradAttrs {
    /** BELOW_ACTIVATION code; ignored without needDx. */
    below: number;
    /** Whether to compute dx (not for the first dense layer, whose input is data). */
    needDx: boolean;
}

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend };

/**
 * Inputs x [B, in], dz [B, out] (the gradient for the layer's pre-activation output), w [in, out],
 * and with needDx: a [B, in] (the activation output below, before dropout) and optionally mult
 * [B, in] (dropout's multiplier, x = a ⊙ mult). Outputs dw [in, out], db [out], and dx [B, in].
 */
/**
 * The addon takes every slot up to dx, whose outputs end [..., dw, db, dx]: without a dx output,
 * dx's slot repeats db's offset (the flags tell the addon not to write it).
 */
function withDxSlot(offsets: Float64Array, needDx: boolean): Float64Array {
    return needDx ? offsets : Float64Array.from([...offsets, offsets[offsets.length - 1]!]);
}

export function registerNativeDense(addon: NativeAddon): void {
    tf.registerKernel({
        kernelName: DENSE_FORWARD,
        backendName: 'wasm',
        // Inputs x [B, in], w [in, out], b [out]; attr activation: linear or relu.
        kernelFunc: ({ inputs, attrs, backend }: Args) => {
            const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
            const [rows, inputSize] = x!.shape as [number, number];
            const outputSize = w!.shape[1]!;
            const act = ACTIVATION_CODES[String(attrs['activation'])]!;
            // matmul's shape: [batch, m, n, k, transA, transB, aStride, bStride, hasBias, biasSize, act].
            const shape = Float64Array.from([1, rows, outputSize, inputSize, 0, 0, 0, 0, 1, outputSize, act]);
            const out = withOutput(backend, [rows, outputSize], [x!, w!, b!], (heap, off) => addon.matmul(heap, shape, off, 0));
            nativeCalls.set(DENSE_FORWARD, (nativeCalls.get(DENSE_FORWARD) ?? 0) + 1);
            return out;
        }
    } as tf.KernelConfig);
    tf.registerKernel({
        kernelName: DENSE_GRAD,
        backendName: 'wasm',
        kernelFunc: ({ inputs, attrs, backend }: Args) => {
            const { x, dz, w, a, mult } = inputs as Record<string, tf.TensorInfo | undefined>;
            const { below, needDx } = attrs as unknown as DenseGradAttrs;
            const [rows, inputSize] = x!.shape as [number, number];
            const outputSize = dz!.shape[1]!;
            const shapes = needDx ? [[inputSize, outputSize], [outputSize], [rows, inputSize]] : [[inputSize, outputSize], [outputSize]];
            // Absent inputs are read at x's offset, never used (hasMult = 0 / needDx = 0 say so).
            const ins = [x!, dz!, w!, a ?? x!, mult ?? x!];
            const outs = withOutputs(backend, shapes, ins, (heap, off) =>
                addon.denseGrad(heap, Float64Array.from([rows, inputSize, outputSize, below, mult ? 1 : 0, needDx ? 1 : 0]), withDxSlot(off, needDx))
            );
            nativeCalls.set(DENSE_GRAD, (nativeCalls.get(DENSE_GRAD) ?? 0) + 1);
            return outs;
        }
    } as tf.KernelConfig);
    tf.registerKernel({
        kernelName: DENSE_SOFTMAX,
        backendName: 'wasm',
        // Inputs x, w, b, labels [B, out], optionally weights [B] (per sample), and a, mult as for
        // GraftDenseGrad. Outputs the batch loss (a scalar), the logits, dw, db, and with needDx dx.
        kernelFunc: ({ inputs, attrs, backend }: Args) => {
            const { x, w, b, labels, weights, a, mult } = inputs as Record<string, tf.TensorInfo | undefined>;
            const { below, needDx, smoothing } = attrs as unknown as DenseSoftmaxAttrs;
            const [rows, inputSize] = x!.shape as [number, number];
            const outputSize = w!.shape[1]!;
            const shapes = [[], [rows, outputSize], [inputSize, outputSize], [outputSize], ...(needDx ? [[rows, inputSize]] : [])];
            // Absent inputs are read at x's offset, never used (the shape's flags say so).
            const outs = withOutputs(backend, shapes, [x!, w!, b!, labels!, weights ?? x!, a ?? x!, mult ?? x!], (heap, off) => {
                const shape = Float64Array.from([rows, inputSize, outputSize, below, mult ? 1 : 0, needDx ? 1 : 0, weights ? 1 : 0]);
                addon.denseSoftmax(heap, shape, withDxSlot(off, needDx), smoothing);
            });
            nativeCalls.set(DENSE_SOFTMAX, (nativeCalls.get(DENSE_SOFTMAX) ?? 0) + 1);
            return outs;
        }
    } as tf.KernelConfig);
}
