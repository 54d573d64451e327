// The Conv2D layer Graft builds: tf.layers' own, except for a convolution with neither bias nor
// activation (the zoo's conv → BatchNorm → ReLU blocks) in training mode. tf.layers computes that
// one with tf.fused.conv2d, whose gradient is a custom function that always computes the input's
// gradient too; for the first layer of a network (the images) or the first trainable layer of a
// fine-tuned one (a frozen layer's output) nothing needs it. Through tf.conv2d the gradient tape
// computes only the gradients it uses: small_cnn's stem no longer runs a 2 ms backward-data
// convolution per step that the optimizer then throws away. The forward is the same kernel
// either way. Its class name stays 'Conv2D', so saved models and checks by class name see the
// usual layer.
import * as tf from '@tensorflow/tfjs';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];

/** The fields of tf.layers' Conv2D this reads (not in its public typings). */
interface ConvFields {
    rank: number;
    kernel: tf.LayerVariable;
    bias: tf.LayerVariable | null;
    strides: number[];
    padding: string;
    dataFormat: string;
    dilationRate: number | number[];
    activation: { getClassName(): string };
}

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
const Base = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })).constructor as new (args: Conv2DArgs) => tf.layers.Layer;

class GraftConv2D extends Base {
    static readonly className = 'Conv2D';

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
        const f = this as unknown as ConvFields;
        const plain =
            kwargs['training'] === true &&
            f.rank === 2 &&
            f.bias === null &&
            f.activation.getClassName() === 'linear' &&
            f.dataFormat === 'channelsLast' &&
            (f.padding === 'same' || f.padding === 'valid');
        if (!plain) return (Base.prototype as unknown as { call: LayerCall }).call.call(this, inputs, kwargs);
        const input = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
        const dilations = typeof f.dilationRate === 'number' ? [f.dilationRate, f.dilationRate] : f.dilationRate;
        return tf.conv2d(input, f.kernel.read() as tf.Tensor4D, f.strides as [number, number], f.padding as 'same' | 'valid', 'NHWC', dilations as [number, number]);
    }
}

export function conv2d(args: Conv2DArgs): tf.layers.Layer {
    return new GraftConv2D(args);
}
