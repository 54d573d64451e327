// Conv2DBackpropFilter for wasm (missing there). Two formulations:
//
// - As a forward convolution (registered): dW[i, j, ci, co] = Σ_{n, y, x} x[n, y*s + i, x*s + j, ci]
//   · dy[n, y, x, co] is a convolution of x with channels and batch swapped ([cin, h, w, n]: cin
//   "images" of n channels) by dy as a [oh, ow, n, cout] filter, dilated by the stride, whose
//   output is [cin, kh, kw, cout]. XNNPACK runs it as one GEMM over K = oh*ow*n, with no im2col
//   of ours; ≈1.5x faster than the per-tap products below on small_cnn's 3x3 layers.
// - Per kernel tap (GRAFT_WASM_BASELINE): dW[i, j] = window(i, j)^T · dy, one matrix product
//   per tap on contiguous "wide" windows (see windows.ts).
//
// wasm's BatchMatMul is fast (XNNPACK) only with untransposed operands and batch 1, so every
// product is [cout, rows] x [rows, k], with dy transposed once by a (native, 4-D) Transpose.
import * as tf from '@tensorflow/tfjs';
import { registerComposite, type TensorMap } from './composite.js';
import { padOrCrop, shapeNHWC, toNHWC, type Shape4 } from './geometry.js';
import { toPhases, toWide, wideLayout, windowOf } from './windows.js';

export function conv2dBackpropFilter(inputs: TensorMap, attrs: Record<string, unknown>, earlier = false): tf.Tensor4D {
    const x = toNHWC(inputs['x'] as tf.Tensor4D, attrs['dataFormat']);
    const dy = toNHWC(inputs['dy'] as tf.Tensor4D, attrs['dataFormat']);
    const filterShape = attrs['filterShape'] as Shape4;
    const info = tf.backend_util.computeConv2DInfo(
        shapeNHWC(inputs['x']!.shape, attrs['dataFormat']),
        filterShape,
        attrs['strides'] as [number, number] | number,
        1,
        attrs['pad'] as 'same',
        attrs['dimRoundingMode'] as 'floor' | undefined
    );
    const [kh, kw, cin, cout] = filterShape;
    const [n, h, w] = x.shape;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, padInfo } = info;

    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && oh === h && ow === w) {
        // Pointwise: dW = x^T · dy as (dy^T · x)^T, both transposes native and cheap. (Transposing
        // x instead and taking x^T · dy measured the same: XNNPACK then packs dy as its weights.)
        const dyT = tf.reshape(tf.transpose(dy, [3, 0, 1, 2]), [cout, n * h * w]);
        const g = tf.matMul(dyT, tf.reshape(x, [n * h * w, cin])); // [cout, cin]
        return tf.reshape(tf.transpose(g), [1, 1, cin, cout]);
    }

    if (!earlier) return asConvolution(x, dy, info);

    const lay = wideLayout({ n, h, w, c: cin, kh, kw, sh, sw, top: padInfo.top, left: padInfo.left, outH: oh, outW: ow });
    const phases = toPhases(x, lay);
    const group = sw * cin;
    const rows = n * oh * lay.wq;
    // dy over the wide rows (zeros in the extra columns): [rows, cout], then transposed once.
    const dyWide = tf.reshape(toWide(dy, lay, cout), [n, oh, lay.wq, cout]);
    const dyT = tf.reshape(tf.transpose(dyWide, [3, 0, 1, 2]), [cout, rows]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
            const win = tf.reshape(windowOf(phases, lay, i, j), [rows, group]) as tf.Tensor2D;
            const g = tf.matMul(dyT, win); // [cout, sw*cin]; the first cin columns are this tap's
            taps.push(group === cin ? g : tf.slice(g, [0, 0], [cout, cin]));
        }
    }
    // [kh*kw, cout, cin] -> [kh, kw, cin, cout]
    return tf.transpose(tf.reshape(tf.stack(taps), [kh, kw, cout, cin]), [0, 1, 3, 2]);
}

/** dW as a forward convolution of the channel-swapped input by dy (see the top of the file). NHWC. */
function asConvolution(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
    const { filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, padInfo } = info;
    const [, h, w] = x.shape;
    const images = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [cin, h, w, n]
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oh, ow, n, cout]
    // Pad (or crop rows no output reads) so that exactly kh x kw outputs come out.
    const bottom = kh + (oh - 1) * sh - h - padInfo.top;
    const right = kw + (ow - 1) * sw - w - padInfo.left;
    const ready = padOrCrop(images, padInfo.top, bottom, padInfo.left, right);
    const out = tf.conv2d(ready, filter, 1, 'valid', 'NHWC', [sh, sw]); // [cin, kh, kw, cout]
    return tf.transpose(out, [1, 2, 0, 3]);
}

/** `earlier`: the earlier (per-tap) formulation, for A/B measurements. */
export function registerConv2dBackpropFilter(earlier = false): void {
    registerComposite('Conv2DBackpropFilter', (inputs, attrs) => conv2dBackpropFilter(inputs, attrs, earlier));
}
