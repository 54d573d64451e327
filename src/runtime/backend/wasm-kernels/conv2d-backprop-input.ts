// Conv2DBackpropInput for wasm: the native one is a plain loop. A transposed convolution is a
// forward convolution (XNNPACK) of the zero-inserted gradient with the spatially flipped filter
// whose in/out channels are swapped; a 1x1 filter is a single matrix product; one input channel a
// depthwise convolution and a channel sum.
import * as tf from '@tensorflow/tfjs';
import { registerComposite, type TensorMap } from './composite.js';
import { flipSpatial, fromNHWC, padOrCrop, shapeNHWC, toNHWC, zeroInsert, type Shape4 } from './geometry.js';

export function conv2dBackpropInput(inputs: TensorMap, attrs: Record<string, unknown>, earlier = false): tf.Tensor4D {
    const dataFormat = attrs['dataFormat'];
    const dy = toNHWC(inputs['dy'] as tf.Tensor4D, dataFormat);
    const filter = inputs['filter'] as tf.Tensor4D;
    const inShape = shapeNHWC(attrs['inputShape'] as number[], dataFormat);
    const info = tf.backend_util.computeConv2DInfo(
        inShape,
        filter.shape,
        attrs['strides'] as [number, number] | number,
        1,
        attrs['pad'] as 'same',
        attrs['dimRoundingMode'] as 'floor' | undefined
    );
    return fromNHWC(transposedConv(dy, filter, inShape, info, earlier), dataFormat);
}

/** dx of a (non-depthwise) convolution with dilation 1, NHWC. */
function transposedConv(
    dy: tf.Tensor4D,
    filter: tf.Tensor4D,
    inShape: Shape4,
    info: tf.backend_util.Conv2DInfo,
    earlier: boolean
): tf.Tensor4D {
    const [kh, kw, cin, cout] = filter.shape;
    const [n, h, w] = inShape;
    const { strideHeight: sh, strideWidth: sw, padInfo, outHeight, outWidth } = info;
    if (kh === 1 && kw === 1) {
        // dx at the sampled positions = dy · W^T; the others get nothing.
        const wT = tf.transpose(tf.reshape(filter, [cin, cout])); // [cout, cin], small
        const sampled = tf.reshape(tf.matMul(tf.reshape(dy, [n * outHeight * outWidth, cout]), wT), [
            n,
            outHeight,
            outWidth,
            cin
        ]) as tf.Tensor4D;
        const spread = zeroInsert(sampled, sh, sw);
        return placeSpread(spread, h, w, padInfo.top, padInfo.left);
    }
    // Flip spatially and swap channel axes: [kh, kw, cout, cin].
    const flipped = tf.transpose(flipSpatial(filter), [0, 1, 3, 2]) as tf.Tensor4D;
    const spread = zeroInsert(dy, sh, sw); // [n, outH*sh, outW*sw, cout]
    // Correlating the spread gradient with the flipped filter: input row r of dx reads spread rows
    // r + top - (kh - 1) ... r + top; pad so that exactly h output rows come out.
    const padTop = kh - 1 - padInfo.top;
    const padLeft = kw - 1 - padInfo.left;
    const padBottom = h - 1 + kh - spread.shape[1] - padTop;
    const padRight = w - 1 + kw - spread.shape[2] - padLeft;
    const ready = padOrCrop(spread, padTop, padBottom, padLeft, padRight);
    if (cin === 1 && !earlier) {
        // One input channel (a grayscale stem, whose dx tfjs computes although nothing uses it):
        // a convolution with one output channel runs XNNPACK at a fraction of its speed (16 ms
        // for small_cnn's 64x28x28x32 dy). Per channel of dy a depthwise convolution, then the
        // sum over channels: 5 ms.
        const perChannel = tf.depthwiseConv2d(ready, tf.reshape(flipped, [kh, kw, cout, 1]) as tf.Tensor4D, 1, 'valid');
        return tf.sum(perChannel, 3, true);
    }
    return tf.conv2d(ready, flipped, 1, 'valid');
}

/** Moves a zero-inserted gradient to its place in the input grid (undoing the forward padding). */
function placeSpread(spread: tf.Tensor4D, h: number, w: number, top: number, left: number): tf.Tensor4D {
    return padOrCrop(spread, -top, h - (spread.shape[1] - top), -left, w - (spread.shape[2] - left));
}

/** `earlier`: without the one-input-channel case (for A/B measurements). */
export function registerConv2dBackpropInput(earlier = false): void {
    registerComposite('Conv2DBackpropInput', (inputs, attrs) => conv2dBackpropInput(inputs, attrs, earlier));
}
