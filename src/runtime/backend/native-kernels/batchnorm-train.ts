// BatchNorm in training mode as two native kernels, forward (batch statistics and the
// normalisation) and backward (every gradient through the statistics), each two passes over the
// activation; tfjs composes the same from moments, a normalisation and their gradients, about 40
// kernels per layer and step. `batchNormTraining` is the op (with its gradient) that
// zoo/batchnorm-layer.ts uses where the kernels exist for the active backend.
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { nativeCalls } from './register.js';
import { withOutputs as run } from './run-native.js';

export const BATCHNORM_TRAIN = 'GraftBatchNormTrain';
export const BATCHNORM_TRAIN_GRAD = 'GraftBatchNormTrainGrad';

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend };

/** [rows, channels] of an activation normalised over every axis but the last. */
function rowsAndChannels(x: tf.TensorInfo): Float64Array {
    const channels = x.shape[x.shape.length - 1]!;
    return Float64Array.from([tf.util.sizeFromShape(x.shape) / channels, channels]);
}

export function registerNativeBatchNormTraining(addon: NativeAddon): void {
    tf.registerKernel({
        kernelName: BATCHNORM_TRAIN,
        backendName: 'wasm',
        kernelFunc: ({ inputs, attrs, backend }: Args) => {
            const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
            const c = x!.shape[x!.shape.length - 1]!;
            nativeCalls.set(BATCHNORM_TRAIN, (nativeCalls.get(BATCHNORM_TRAIN) ?? 0) + 1);
            return run(backend, [x!.shape, [c], [c]], [x!, gamma!, beta!], (heap, off) =>
                addon.batchNormTrain(heap, rowsAndChannels(x!), off, Number(attrs['epsilon']))
            );
        }
    } as tf.KernelConfig);
    tf.registerKernel({
        kernelName: BATCHNORM_TRAIN_GRAD,
        backendName: 'wasm',
        kernelFunc: ({ inputs, attrs, backend }: Args) => {
            const { dy, x, mean, variance, gamma } = inputs as Record<string, tf.TensorInfo>;
            const c = x!.shape[x!.shape.length - 1]!;
            return run(backend, [x!.shape, [c], [c]], [dy!, x!, mean!, variance!, gamma!], (heap, off) =>
                addon.batchNormTrainGrad(heap, rowsAndChannels(x!), off, Number(attrs['epsilon']))
            );
        }
    } as tf.KernelConfig);
}

/** Whether the active backend has the fused training kernels (wasm with the native addon). */
export function batchNormTrainingAvailable(): boolean {
    return tf.getKernel(BATCHNORM_TRAIN, tf.getBackend()) !== undefined;
}

/**
 * y = (x - mean) / sqrt(variance + ε) · gamma + beta over the batch statistics of `x` (every axis
 * but the last; biased variance, as tf.moments), differentiable in x, gamma and beta. `mean` and
 * `variance` are returned for the moving averages, carry no gradient, and are the caller's to
 * dispose (no enclosing tidy frees them).
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
    let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
    const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [xi, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
        const [y, mean, variance] = tf.engine().runKernel(BATCHNORM_TRAIN, { x: xi, gamma: g, beta: b }, { epsilon }) as tf.Tensor[];
        save([xi, mean!, variance!, g]);
        // The engine runs this forward in a tidy that keeps only `value`: the statistics leave it
        // kept, and the caller disposes them.
        stats = [tf.keep(mean as tf.Tensor1D), tf.keep(variance as tf.Tensor1D)];
        return {
            value: y!,
            gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
                const [sx, sm, sv, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
                return tf.engine().runKernel(BATCHNORM_TRAIN_GRAD, { dy, x: sx, mean: sm, variance: sv, gamma: sg }, { epsilon }) as tf.Tensor[];
            }
        };
    }) as Parameters<typeof tf.customGrad>[0]);
    const y = op(x, gamma, beta);
    return { y, mean: stats![0], variance: stats![1] };
}
