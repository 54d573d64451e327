// Graft's Conv2D layer (src/runtime/zoo/conv-layer.ts): a convolution with neither bias nor
// activation trains through tf.conv2d, so autodiff computes the input's gradient only where it is
// used. The same gradients as tf.layers' Conv2D, without the stem's backward-data convolution.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2d } from '../../src/runtime/zoo/conv-layer.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

/** A stem conv (no bias, linear) → relu → a second conv with bias and relu → dense; weights seeded. */
function net(make: typeof conv2d): tf.LayersModel {
    const input = tf.input({ shape: [9, 9, 2] });
    let x = make({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'stem' }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
    x = make({ filters: 3, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'second' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
}

async function gradients(model: tf.LayersModel): Promise<{ grads: number[][]; backwardData: number }> {
    const x = tf.randomNormal([5, 9, 9, 2], 0, 1, 'float32', 7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let grads: number[][] = [];
    const profile = await tf.profile(() => {
        const { value, grads: g } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
        grads = vars.map((v) => Array.from(g[v.name]!.dataSync()));
        tf.dispose([value, ...Object.values(g)]);
    });
    tf.dispose([x, y]);
    return { grads, backwardData: profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput').length };
}

describe("Graft's Conv2D", () => {
    it("trains with tf.layers' gradients and skips the input gradient nothing uses", async () => {
        const graft = net(conv2d);
        const layers = net((args) => tf.layers.conv2d(args));
        expect(graft.getLayer('stem').getClassName()).toBe('Conv2D');
        const a = await gradients(graft);
        const b = await gradients(layers);
        expect(a.grads.length).toBe(b.grads.length);
        a.grads.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(b.grads[i]![j]!, 5)));
        // tf.layers: the stem's backward-data convolution too; Graft: only the second layer's.
        expect(b.backwardData).toBe(2);
        expect(a.backwardData).toBe(1);
        // Inference is tf.layers' own call.
        const x = tf.randomNormal([2, 9, 9, 2], 0, 1, 'float32', 9);
        expect(Array.from((graft.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((layers.predict(x) as tf.Tensor).dataSync()));
        graft.dispose();
        layers.dispose();
    });
});
