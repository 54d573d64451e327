// The BatchNormalization layer Graft builds: tf.layers' own, except that in training mode, on a
// backend with the fused kernels (backend/native-kernels/batchnorm-train.ts), it normalises with
// two kernels and differentiates with one, instead of tfjs' ≈40 per layer and step. Inference,
// other backends and other layouts run tf.layers' code unchanged. Its class name stays
// 'BatchNormalization', so saved models and every check by class name see the usual layer.
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, batchNormTrainingAvailable } from '../backend/native-kernels/batchnorm-train.js';
import { MOVING_AVERAGE } from '../backend/wasm-kernels/moving-average.js';

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];

/** The fields of tf.layers' BatchNormalization this reads (not in its public typings). */
interface BatchNormFields {
    axis: number;
    momentum: number;
    epsilon: number;
    center: boolean;
    scale: boolean;
    gamma: tf.LayerVariable | null;
    beta: tf.LayerVariable | null;
    movingMean: tf.LayerVariable;
    movingVariance: tf.LayerVariable;
}

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
const Base = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (args: BatchNormArgs) => tf.layers.Layer;

class GraftBatchNormalization extends Base {
    static readonly className = 'BatchNormalization';

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
        const input = Array.isArray(inputs) ? inputs[0]! : inputs;
        const f = this as unknown as BatchNormFields;
        const lastAxis = f.axis === -1 || f.axis === input.shape.length - 1;
        const fused = kwargs['training'] === true && lastAxis && f.center && f.scale && input.dtype === 'float32' && input.shape.length >= 2 && batchNormTrainingAvailable();
        if (!fused) return (Base.prototype as unknown as { call: LayerCall }).call.call(this, inputs, kwargs);
        return tf.tidy(() => {
            const { y, mean, variance } = batchNormTraining(input, f.gamma!.read() as tf.Tensor1D, f.beta!.read() as tf.Tensor1D, f.epsilon);
            // The moving averages as tf.layers updates them: v - (v - batch value) · (1 - momentum),
            // in one kernel where the backend has it (wasm-kernels/moving-average.ts).
            const oneKernel = tf.getKernel(MOVING_AVERAGE, tf.getBackend()) !== undefined;
            for (const [moving, value] of [
                [f.movingMean, mean],
                [f.movingVariance, variance]
            ] as const) {
                tf.tidy(() => {
                    const current = moving.read();
                    moving.write(
                        oneKernel
                            ? (tf.engine().runKernel(MOVING_AVERAGE, { moving: current, batch: value }, { keep: 1 - f.momentum }) as tf.Tensor)
                            : tf.sub(current, tf.mul(tf.sub(current, value), 1 - f.momentum))
                    );
                });
            }
            tf.dispose([mean, variance]);
            return y;
        });
    }
}

export function batchNormalization(args: BatchNormArgs = {}): tf.layers.Layer {
    return new GraftBatchNormalization(args);
}
