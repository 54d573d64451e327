// Small tf.layers networks for the backend benchmark and kernel coverage checks: the same layer
// kinds the zoo uses (conv+batchnorm+relu, depthwise, ReLU6, ZeroPadding, Add, pooling, dense).
import * as tf from '@tensorflow/tfjs';
// Graft's BatchNormalization (tf.layers' own, fused in training mode where the backend can): the
// benches and backend tests measure the layer the runtime builds.
import { batchNormalization } from '../src/runtime/zoo/batchnorm-layer.js';
import { conv2d } from '../src/runtime/zoo/conv-layer.js';

type SymbolicTensor = tf.SymbolicTensor;

function makeDivisible(v: number, divisor = 8): number {
    const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
    return n < 0.9 * v ? n + divisor : n;
}

function convBn(x: SymbolicTensor, filters: number, kernel: number, stride: number, name: string, act: 'relu' | 'relu6' | null): SymbolicTensor {
    let y = conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, name: `${name}_conv` }).apply(x) as SymbolicTensor;
    y = batchNormalization({ epsilon: 1e-3, momentum: 0.999, name: `${name}_bn` }).apply(y) as SymbolicTensor;
    if (act === 'relu') y = tf.layers.reLU({ name: `${name}_relu` }).apply(y) as SymbolicTensor;
    if (act === 'relu6') y = tf.layers.reLU({ maxValue: 6, name: `${name}_relu6` }).apply(y) as SymbolicTensor;
    return y;
}

/**
 * The head's output: class probabilities, or logits as Graft's trainer builds its models
 * (train/model.ts: the loss takes logits, softmax is applied by the loss and at export).
 */
export type NetOutput = 'softmax' | 'logits';

/** MobileNetV2 as in Keras applications (ZeroPadding before stride-2 depthwise convs), random weights. */
export function mobilenetV2(alpha: number, size: number, classes = 10, channels = 3, output: NetOutput = 'softmax'): tf.LayersModel {
    const input = tf.input({ shape: [size, size, channels], name: 'input' });
    let x = convBn(input, makeDivisible(32 * alpha), 3, 2, 'Conv1', 'relu6');
    let inC = makeDivisible(32 * alpha);
    const settings: [number, number, number, number][] = [
        [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]
    ];
    let block = 0;
    for (const [t, c, n, s] of settings) {
        const outC = makeDivisible(c * alpha);
        for (let r = 0; r < n; r++) {
            const stride = r === 0 ? s : 1;
            const name = `block_${block++}`;
            const shortcut = x;
            let y = x;
            if (t !== 1) y = convBn(y, inC * t, 1, 1, `${name}_expand`, 'relu6');
            if (stride === 2) {
                y = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `${name}_pad` }).apply(y) as SymbolicTensor;
            }
            y = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false, name: `${name}_depthwise` }).apply(y) as SymbolicTensor;
            y = batchNormalization({ epsilon: 1e-3, momentum: 0.999, name: `${name}_depthwise_bn` }).apply(y) as SymbolicTensor;
            y = tf.layers.reLU({ maxValue: 6, name: `${name}_depthwise_relu` }).apply(y) as SymbolicTensor;
            y = convBn(y, outC, 1, 1, `${name}_project`, null);
            if (stride === 1 && inC === outC) y = tf.layers.add({ name: `${name}_add` }).apply([shortcut, y]) as SymbolicTensor;
            x = y;
            inC = outC;
        }
    }
    x = convBn(x, alpha > 1 ? makeDivisible(1280 * alpha) : 1280, 1, 1, 'Conv_1', 'relu6');
    x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as SymbolicTensor;
    const out = tf.layers.dense({ units: classes, activation: output === 'logits' ? 'linear' : 'softmax', name: 'head' }).apply(x) as SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
}

/** small_cnn: per filter count conv 3x3 same -> batchnorm -> relu -> max-pool 2; then a dense head. */
export function smallCnn(filters: number[], size: number, classes = 10, channels = 1): tf.LayersModel {
    const input = tf.input({ shape: [size, size, channels] });
    let x: SymbolicTensor = input;
    filters.forEach((f, i) => {
        x = convBn(x, f, 3, 1, `conv${i}`, 'relu');
        x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i}` }).apply(x) as SymbolicTensor;
    });
    x = tf.layers.flatten().apply(x) as SymbolicTensor;
    const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
}

/** The zoo's small_cnn (no conv bias, BatchNorm ε 1e-3) with the digits_pretrain head. */
export function smallCnnModel(filters: number[], output: NetOutput = 'softmax'): tf.LayersModel {
    const input = tf.input({ shape: [28, 28, 1] });
    let x = input as tf.SymbolicTensor;
    for (const f of filters) {
        x = conv2d({ filters: f, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
        x = batchNormalization({ epsilon: 1e-3, momentum: 0.99 }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.activation({ activation: 'relu' }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 5, activation: output === 'logits' ? 'linear' : 'softmax' }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
}

/** A two-stage ResNet (basic blocks, projection shortcuts, 7x7 stem, ZeroPadding + 3x3 max-pool). */
export function tinyResnet(size: number, classes = 10, widths = [16, 32]): tf.LayersModel {
    const input = tf.input({ shape: [size, size, 3] });
    let x = tf.layers.zeroPadding2d({ padding: 3 }).apply(input) as SymbolicTensor;
    x = conv2d({ filters: widths[0]!, kernelSize: 7, strides: 2, useBias: false }).apply(x) as SymbolicTensor;
    x = batchNormalization().apply(x) as SymbolicTensor;
    x = tf.layers.activation({ activation: 'relu' }).apply(x) as SymbolicTensor;
    x = tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x) as SymbolicTensor;
    let inC = widths[0]!;
    widths.forEach((w, stage) => {
        const stride = stage === 0 ? 1 : 2;
        let shortcut = x;
        if (stride !== 1 || inC !== w) {
            shortcut = conv2d({ filters: w, kernelSize: 1, strides: stride, useBias: false }).apply(x) as SymbolicTensor;
            shortcut = batchNormalization().apply(shortcut) as SymbolicTensor;
        }
        let y = convBn(x, w, 3, stride, `s${stage}a`, 'relu');
        y = convBn(y, w, 3, 1, `s${stage}b`, null);
        y = tf.layers.add().apply([shortcut, y]) as SymbolicTensor;
        x = tf.layers.activation({ activation: 'relu' }).apply(y) as SymbolicTensor;
        inC = w;
    });
    x = tf.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor;
    const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
}

/** A VGG-style stack (conv 3x3 with bias, ReLU, max-pool), dense layers with dropout. */
export function tinyVgg(size: number, classes = 10, dropout = 0.5): tf.LayersModel {
    const input = tf.input({ shape: [size, size, 3] });
    let x: SymbolicTensor = input;
    for (const [f, n] of [[16, 2], [32, 2]] as const) {
        for (let i = 0; i < n; i++) x = conv2d({ filters: f, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as SymbolicTensor;
        x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as SymbolicTensor;
    }
    x = tf.layers.flatten().apply(x) as SymbolicTensor;
    x = tf.layers.dense({ units: 64, activation: 'relu' }).apply(x) as SymbolicTensor;
    if (dropout > 0) x = tf.layers.dropout({ rate: dropout }).apply(x) as SymbolicTensor;
    const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
}

/** Median of a sample: benches report medians, as timings on shared machines drift. */
export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
