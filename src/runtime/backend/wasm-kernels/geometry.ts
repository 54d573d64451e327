// Shape helpers shared by the convolution and pooling gradient kernels.
import * as tf from '@tensorflow/tfjs';

export type Shape4 = [number, number, number, number];

/**
 * Pads (or crops, for negative amounts) the two spatial axes of an NHWC tensor.
 * Cropping matters for transposed convolutions whose last input rows never reach the output.
 */
export function padOrCrop(
    x: tf.Tensor4D,
    top: number,
    bottom: number,
    left: number,
    right: number,
    value = 0
): tf.Tensor4D {
    let y = x;
    const [n, h, w, c] = y.shape;
    const cropTop = Math.max(0, -top);
    const cropBottom = Math.max(0, -bottom);
    const cropLeft = Math.max(0, -left);
    const cropRight = Math.max(0, -right);
    if (cropTop + cropBottom + cropLeft + cropRight > 0) {
        y = tf.slice(y, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
    }
    const pt = Math.max(0, top);
    const pb = Math.max(0, bottom);
    const pl = Math.max(0, left);
    const pr = Math.max(0, right);
    if (pt + pb + pl + pr > 0) {
        y = tf.pad(y, [[0, 0], [pt, pb], [pl, pr], [0, 0]], value);
    }
    return y;
}

/**
 * Inserts (stride - 1) zeros after every row and column: [N, H, W, C] -> [N, H*sh, W*sw, C].
 * Done with a reshape and a pad, both native wasm kernels.
 */
export function zeroInsert(x: tf.Tensor4D, strideH: number, strideW: number): tf.Tensor4D {
    if (strideH === 1 && strideW === 1) return x;
    const [n, h, w, c] = x.shape;
    const six = tf.reshape(x, [n, h, 1, w, 1, c]);
    const padded = tf.pad(six, [[0, 0], [0, 0], [0, strideH - 1], [0, 0], [0, strideW - 1], [0, 0]]);
    return tf.reshape(padded, [n, h * strideH, w * strideW, c]);
}

/** Inserts (dilation - 1) zeros between filter taps: the equivalent undilated filter. */
export function dilateFilter(filter: tf.Tensor4D, dilationH: number, dilationW: number): tf.Tensor4D {
    if (dilationH === 1 && dilationW === 1) return filter;
    const [kh, kw, a, b] = filter.shape;
    // Treat the filter's two spatial axes like an image's: [1, kh, kw, a*b].
    const asImage = tf.reshape(filter, [1, kh, kw, a * b]) as tf.Tensor4D;
    const spread = zeroInsert(asImage, dilationH, dilationW);
    const effH = (kh - 1) * dilationH + 1;
    const effW = (kw - 1) * dilationW + 1;
    return tf.reshape(tf.slice(spread, [0, 0, 0, 0], [1, effH, effW, a * b]), [effH, effW, a, b]);
}

/** NCHW -> NHWC for kernels called with dataFormat 'NCHW' (tf.layers uses NHWC). */
export function toNHWC<T extends tf.Tensor>(x: T, dataFormat: unknown): T {
    return dataFormat === 'NCHW' ? (tf.transpose(x, [0, 2, 3, 1]) as T) : x;
}

export function fromNHWC<T extends tf.Tensor>(x: T, dataFormat: unknown): T {
    return dataFormat === 'NCHW' ? (tf.transpose(x, [0, 3, 1, 2]) as T) : x;
}

export function shapeNHWC(shape: number[], dataFormat: unknown): Shape4 {
    const [a, b, c, d] = shape as Shape4;
    return dataFormat === 'NCHW' ? [a, c, d, b] : [a, b, c, d];
}

/**
 * A filter turned by 180° in its two spatial axes ([kh, kw, ...] -> taps in reverse order).
 * Flattened, that is the tap rows in reverse, which GatherV2 copies as whole rows; the native
 * Reverse took ≈3 ms for a 3x3x64x128 filter.
 */
export function flipSpatial(filter: tf.Tensor4D): tf.Tensor4D {
    const [kh, kw, a, b] = filter.shape;
    const taps = kh * kw;
    const order = tf.tensor1d(Array.from({ length: taps }, (_, t) => taps - 1 - t), 'int32');
    return tf.reshape(tf.gather(tf.reshape(filter, [taps, a * b]), order), [kh, kw, a, b]);
}
