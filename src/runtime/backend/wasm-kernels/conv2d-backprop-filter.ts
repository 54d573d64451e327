// Conv2DBackpropFilter for wasm (missing there). Three formulations:
//
// - im2col + one matrix product (registered, up to IM2COL_LIMIT column elements):
//   dW as [cin*kh*kw, cout] = cols [cin*kh*kw, n*oh*ow] · dy [n*oh*ow, cout]. dy is used as it
//   lies (XNNPACK packs it as the product's weights), cols come from one heap pass (im2col.ts).
//   On small_cnn at batch 64 it is 2-8x faster than the forward-convolution form below: XNNPACK
//   runs that one as a convolution whose "filter" (dy) is re-packed per call and whose output is
//   tiny (cin images of kh x kw pixels), far from its efficient shapes.
// - As a forward convolution (larger inputs, where the columns would take too much memory):
//   dW[i, j, ci, co] = Σ_{n, y, x} x[n, y*s + i, x*s + j, ci]
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
import { im2colChannelsFirst } from './im2col.js';
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

    if (!earlier) {
        return cin * kh * kw * n * oh * ow <= im2colLimit ? asColumnProduct(x, dy, info) : asConvolution(x, dy, info);
    }

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

/**
 * Column elements (floats) above which the filter gradient runs as a convolution instead: 2^25
 * floats are 128 MB of heap. small_cnn at batch 64 needs at most 3.6 M.
 */
const IM2COL_LIMIT = 1 << 25;
let im2colLimit = IM2COL_LIMIT;

/** Sets the im2col size limit (tests use 0 to check the convolution form); returns the previous one. */
export function setIm2colLimit(limit: number = IM2COL_LIMIT): number {
    const previous = im2colLimit;
    im2colLimit = limit;
    return previous;
}

/** dW as cols · dy, one matrix product (see the top of the file). NHWC. */
function asColumnProduct(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
    const { filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, padInfo } = info;
    const [n, h, w, cin] = x.shape;
    const cout = dy.shape[3];
    // Channels first so that each column row reads the input contiguously; with one channel the
    // NHWC data already is [1, n, h, w].
    const xt = (cin === 1 ? tf.reshape(x, [1, n, h, w]) : tf.transpose(x, [3, 0, 1, 2])) as tf.Tensor4D;
    const cols = im2colChannelsFirst(xt, { kh, kw, sh, sw, top: padInfo.top, left: padInfo.left, oh, ow });
    const g = tf.matMul(cols, tf.reshape(dy, [n * oh * ow, cout]) as tf.Tensor2D); // [cin*kh*kw, cout]
    return (cin === 1 ? tf.reshape(g, [kh, kw, 1, cout]) : tf.transpose(tf.reshape(g, [cin, kh, kw, cout]), [1, 2, 0, 3])) as tf.Tensor4D;
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
