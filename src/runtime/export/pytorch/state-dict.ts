// The weights converter: Keras/tfjs layout (what Graft trains and saves in model.json +
// weights.bin) → PyTorch's state-dict layout of the generated GraftNet, whose modules carry the
// Keras layer names (`layers.<name>.weight`). Conv kernels HWIO → OIHW, depthwise kernels
// [kh, kw, in, mult] → [in·mult, 1, kh, kw] (output channel i·mult + m in both engines), dense
// kernels [in, out] → [out, in]; BatchNorm gamma/beta/moving_mean/moving_variance →
// weight/bias/running_mean/running_var. Flatten keeps Keras' channels-last order in the script,
// so dense kernels after a flatten need no permutation.

import type { LayerSpec, WeightTensor } from '../types.js';

export interface StateTensor {
    key: string;
    /** The Keras weight it came from (`<layer>/<param>`). */
    source: string;
    shape: number[];
    values: Float32Array;
}

/** Permutes the axes of a row-major tensor: out axis i = in axis perm[i]. */
export function transpose(values: Float32Array, shape: number[], perm: number[]): { values: Float32Array; shape: number[] } {
    const outShape = perm.map((p) => shape[p]);
    const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const out = new Float32Array(values.length);
    const idx = new Array<number>(shape.length).fill(0);
    for (let o = 0; o < out.length; o++) {
        let src = 0;
        for (let i = 0; i < perm.length; i++) src += idx[i] * inStrides[perm[i]];
        out[o] = values[src];
        for (let i = outShape.length - 1; i >= 0; i--) {
            if (++idx[i] < outShape[i]) break;
            idx[i] = 0;
        }
    }
    return { values: out, shape: outShape };
}

const BN_NAMES: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

function convert(layer: LayerSpec, w: WeightTensor): { param: string; values: Float32Array; shape: number[] } {
    switch (w.param) {
        case 'kernel':
            if (w.shape.length === 4) return { param: 'weight', ...transpose(w.values, w.shape, [3, 2, 0, 1]) };
            if (w.shape.length === 2) return { param: 'weight', ...transpose(w.values, w.shape, [1, 0]) };
            break;
        case 'depthwise_kernel': {
            const [kh, kw, cin, mult] = w.shape;
            const t = transpose(w.values, w.shape, [2, 3, 0, 1]);
            return { param: 'weight', values: t.values, shape: [cin * mult, 1, kh, kw] };
        }
        case 'bias':
            return { param: 'bias', values: w.values, shape: w.shape };
        default:
            if (BN_NAMES[w.param]) return { param: BN_NAMES[w.param], values: w.values, shape: w.shape };
    }
    throw new Error(`layer ${layer.name}: no PyTorch counterpart for weight ${w.param} of shape [${w.shape.join(', ')}]`);
}

/** The whole network's state dict (without BatchNorm's num_batches_tracked, which PyTorch keeps itself). */
export function stateDict(layers: LayerSpec[]): StateTensor[] {
    return layers.flatMap((layer) =>
        layer.weights.map((w) => {
            const c = convert(layer, w);
            return { key: `layers.${layer.name}.${c.param}`, source: `${layer.name}/${w.param}`, shape: c.shape, values: c.values };
        })
    );
}
