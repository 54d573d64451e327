// Strided convolution windows as contiguous slices.
//
// wasm's StridedSlice and its 4-D Slice are JavaScript loops that copy a few floats at a time
// (10-100x slower than a multiply), and its Concat is no better. The gradient kernels instead
// lay the padded input out so that the input window of every kernel tap is ONE contiguous run
// per image:
//   - split rows by stride phase (one 4-D Transpose, native) so a stride becomes a plain step;
//   - keep the column phase inside the channel block (sw*C channels per column group);
//   - compute over "wide" output rows of Wq columns instead of Wo, where the extra columns
//     meet zeros in the (equally widened) output gradient and so contribute nothing.
// Then tap (i, j) is the flat range [off(i, j), off(i, j) + L) of each image's phase-p row,
// which Slice copies with one call per image. The adjoint (putting a tap's values back) is a
// Pad of that range, also native.
import * as tf from '@tensorflow/tfjs';
import { padOrCrop } from './geometry.js';

export interface WindowGeometry {
    n: number;
    h: number;
    w: number;
    c: number;
    kh: number;
    kw: number;
    sh: number;
    sw: number;
    top: number;
    left: number;
    outH: number;
    outW: number;
}

export interface WideLayout extends WindowGeometry {
    /** Row groups after the stride split: the padded input has hq*sh rows. */
    hq: number;
    /** Column groups: the padded input has wq*sw columns, i.e. wq groups of sw*c floats. */
    wq: number;
    /** Floats per image and row phase. */
    flat: number;
    /** Floats of one tap window per image (outH wide rows of wq*sw*c). */
    span: number;
}

export function wideLayout(g: WindowGeometry): WideLayout {
    const a0max = Math.floor((g.kh - 1) / g.sh);
    const b0max = Math.floor((g.kw - 1) / g.sw);
    const wq = g.outW + b0max;
    // One spare row group so the last tap's range (which runs past its last valid column into
    // wrap-around columns) stays inside the buffer.
    const hq = g.outH + a0max + 1;
    const flat = hq * wq * g.sw * g.c;
    return { ...g, hq, wq, flat, span: g.outH * wq * g.sw * g.c };
}

/** The padded input split by row phase: [sh * n, flat]; phase p of image k is row p*n + k. */
export function toPhases(x: tf.Tensor4D, lay: WideLayout, padValue = 0): tf.Tensor2D {
    const { n, h, w, c, sh, sw, hq, wq, top, left } = lay;
    const xp = padOrCrop(x, top, hq * sh - h - top, left, wq * sw - w - left, padValue);
    if (sh === 1) return tf.reshape(xp, [n, lay.flat]);
    const split = tf.reshape(xp, [n * hq, sh, wq, sw * c]);
    return tf.reshape(tf.transpose(split, [1, 0, 2, 3]), [sh * n, lay.flat]);
}

/** Inverse of toPhases (without the padding): [sh * n, flat] -> [n, h, w, c]. */
export function fromPhases(phases: tf.Tensor2D, lay: WideLayout): tf.Tensor4D {
    const { n, h, w, c, sh, sw, hq, wq, top, left } = lay;
    let grid: tf.Tensor4D;
    if (sh === 1) {
        grid = tf.reshape(phases, [n, hq, wq * sw, c]);
    } else {
        const split = tf.reshape(phases, [sh, n * hq, wq, sw * c]);
        grid = tf.reshape(tf.transpose(split, [1, 0, 2, 3]), [n, hq * sh, wq * sw, c]);
    }
    return padOrCrop(grid, -top, h - (hq * sh - top), -left, w - (wq * sw - left));
}

export interface Tap {
    /** First row of the phase block in the [sh*n, flat] layout. */
    row: number;
    /** Offset of the window inside each image's flat row. */
    offset: number;
}

export function tapAt(lay: WideLayout, i: number, j: number): Tap {
    const p = i % lay.sh;
    const q = j % lay.sw;
    const a0 = (i - p) / lay.sh;
    const b0 = (j - q) / lay.sw;
    return { row: p * lay.n, offset: (a0 * lay.wq + b0) * lay.sw * lay.c + q * lay.c };
}

/** The input window of tap (i, j) in wide layout: [n, span]. */
export function windowOf(phases: tf.Tensor2D, lay: WideLayout, i: number, j: number): tf.Tensor2D {
    const tap = tapAt(lay, i, j);
    return tf.slice(phases, [tap.row, tap.offset], [lay.n, lay.span]);
}

/** The adjoint of windowOf: values [n, span] placed back into a zero [sh*n, flat] buffer. */
export function placeWindow(values: tf.Tensor2D, lay: WideLayout, i: number, j: number): tf.Tensor2D {
    const tap = tapAt(lay, i, j);
    return tf.pad(values, [
        [tap.row, (lay.sh - 1) * lay.n - tap.row],
        [tap.offset, lay.flat - tap.offset - lay.span]
    ]);
}

/**
 * An output-sized tensor [n, outH, outW, k] in wide layout [n, span']: columns padded to wq,
 * channels padded to `channelGroup` (sw*c to line up with windows, or k itself for GEMMs).
 */
export function toWide(t: tf.Tensor4D, lay: WideLayout, channelGroup: number): tf.Tensor2D {
    const [n, oh, ow, k] = t.shape;
    const padded = tf.pad(t, [[0, 0], [0, 0], [0, lay.wq - ow], [0, channelGroup - k]]);
    return tf.reshape(padded, [n, oh * lay.wq * channelGroup]);
}
