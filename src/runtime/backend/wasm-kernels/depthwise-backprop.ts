// The two depthwise-convolution gradients wasm lacks (MobileNets need both).
//
// Input gradient: a depthwise convolution (XNNPACK) of the zero-inserted gradient with the
// spatially flipped filter. Filter gradient: per kernel tap, the input window (a contiguous wide
// window, see windows.ts) times dy, summed over batch and space by an average pooling (see
// reductions.ts). Dilated filters are handled as their zero-filled undilated equivalent.
import * as tf from '@tensorflow/tfjs';
import { asTensor, registerComposite, type TensorMap } from './composite.js';
import { outputAndViews } from './heap.js';
import { dilateFilter, flipSpatial, padOrCrop, zeroInsert, type Shape4 } from './geometry.js';
import { sumRows } from './reductions.js';
import { toPhases, toWide, wideLayout, windowOf } from './windows.js';

function pair(v: unknown): [number, number] {
    if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
    const n = v === undefined || v === null ? 1 : Number(v);
    return [n, n];
}

function depthwiseInfo(inShape: Shape4, filterShape: Shape4, attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo {
    return tf.backend_util.computeConv2DInfo(
        inShape,
        filterShape,
        attrs['strides'] as [number, number],
        attrs['dilations'] as [number, number],
        attrs['pad'] as 'same',
        attrs['dimRoundingMode'] as 'floor' | undefined,
        true
    );
}

export function depthwiseBackpropInput(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor4D {
    const dy = inputs['dy'] as tf.Tensor4D;
    const [dh, dw] = pair(attrs['dilations']);
    const filter = dilateFilter(inputs['filter'] as tf.Tensor4D, dh, dw);
    const inShape = attrs['inputShape'] as Shape4;
    const info = depthwiseInfo(inShape, inputs['filter']!.shape as Shape4, attrs);
    const [kh, kw, c, mult] = filter.shape;
    const [n, h, w] = inShape;
    const { strideHeight: sh, strideWidth: sw, padInfo } = info;
    const flipped = tf.reshape(flipSpatial(filter), [kh, kw, c * mult, 1]) as tf.Tensor4D;
    const spread = zeroInsert(dy, sh, sw);
    const padTop = kh - 1 - padInfo.top;
    const padLeft = kw - 1 - padInfo.left;
    const padBottom = h - 1 + kh - spread.shape[1] - padTop;
    const padRight = w - 1 + kw - spread.shape[2] - padLeft;
    const ready = padOrCrop(spread, padTop, padBottom, padLeft, padRight);
    const out = tf.depthwiseConv2d(ready, flipped, 1, 'valid'); // [n, h, w, c*mult]
    if (mult === 1) return out;
    // Output channel c*mult + k came from input channel c: add the multiplier's contributions.
    return tf.sum(tf.reshape(out, [n, h, w, c, mult]), 4) as tf.Tensor4D;
}

export function depthwiseBackpropFilter(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor4D {
    const x = inputs['x'] as tf.Tensor4D;
    const dy = inputs['dy'] as tf.Tensor4D;
    const filterShape = attrs['filterShape'] as Shape4;
    const [dh, dw] = pair(attrs['dilations']);
    const info = depthwiseInfo(x.shape, filterShape, attrs);
    const [kh, kw, c, mult] = filterShape;
    const [n, h, w] = x.shape;
    const effH = (kh - 1) * dh + 1;
    const effW = (kw - 1) * dw + 1;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, padInfo } = info;
    const lay = wideLayout({ n, h, w, c, kh: effH, kw: effW, sh, sw, top: padInfo.top, left: padInfo.left, outH: oh, outW: ow });
    const phases = toPhases(x, lay);
    const group = sw * c;
    const rows = n * oh * lay.wq;
    // With a channel multiplier, output channel c*mult + k reads input channel c: compare
    // each multiplier slice of dy separately against the same windows.
    const dyParts = mult === 1 ? [dy] : tf.split(tf.reshape(dy, [n, oh, ow, c, mult]), mult, 4).map((t) => tf.reshape(t, [n, oh, ow, c]) as tf.Tensor4D);
    const dyWide = dyParts.map((d) => toWide(d, lay, group));
    const sums: tf.Tensor[] = [];
    for (let i = 0; i < effH; i += dh) {
        for (let j = 0; j < effW; j += dw) {
            const win = windowOf(phases, lay, i, j);
            for (const d of dyWide) {
                // Sum over images and positions (wide columns hold zeros).
                const s = sumRows(tf.mul(win, d), rows, group);
                sums.push(group === c ? s : tf.slice(s, [0], [c]));
            }
        }
    }
    // [kh*kw, mult, c] -> [kh, kw, c, mult]
    const stacked = tf.reshape(tf.stack(sums), [kh, kw, mult, c]);
    return tf.transpose(stacked, [0, 1, 3, 2]) as tf.Tensor4D;
}

/**
 * The filter gradient as one loop over the heap: dW[i, j, c] = Σ x[n, y*s + i*d - top, ...] · dy[n, y, x, c],
 * summed in float64. Its cost is one multiply-add per (output pixel, tap, channel), while
 * the composite above pays ~5 kernels per tap, each with its engine overhead: the loop wins
 * for small activations (MobileNet's 3x3 tail: ≈2 ms instead of ≈3.5-5.5 at ≈2 ns per multiply-add)
 * and loses for large ones.
 */
export function depthwiseBackpropFilterLoop(x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, backend: tf.KernelBackend): tf.TensorInfo {
    const { out, dst, srcs } = outputAndViews(backend, [info.filterHeight, info.filterWidth, info.inChannels, 1], 'float32', [x, dy]);
    filterGradLoop(srcs[0] as Float32Array, srcs[1] as Float32Array, dst as Float32Array, info);
    return out;
}

/**
 * Per tap: the (input, output) pixel pairs it connects, then per channel a dot product over those
 * pairs, four channels at a time in local sums (≈1.8x faster than accumulating into an array).
 */
function filterGradLoop(xv: Float32Array, g: Float32Array, dW: Float32Array, info: tf.backend_util.Conv2DInfo): void {
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
    const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padInfo } = info;
    const xAt = new Int32Array(n * oh * ow);
    const gAt = new Int32Array(n * oh * ow);
    for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
            let pairs = 0;
            for (let b = 0; b < n; b++) {
                for (let y = 0; y < oh; y++) {
                    const r = y * sh + i * dh - padInfo.top;
                    if (r < 0 || r >= h) continue;
                    for (let xo = 0; xo < ow; xo++) {
                        const col = xo * sw + j * dw - padInfo.left;
                        if (col < 0 || col >= w) continue;
                        xAt[pairs] = ((b * h + r) * w + col) * c;
                        gAt[pairs] = ((b * oh + y) * ow + xo) * c;
                        pairs++;
                    }
                }
            }
            const base = (i * kw + j) * c;
            let d = 0;
            for (; d + 4 <= c; d += 4) {
                let s0 = 0;
                let s1 = 0;
                let s2 = 0;
                let s3 = 0;
                for (let q = 0; q < pairs; q++) {
                    const a = xAt[q]! + d;
                    const e = gAt[q]! + d;
                    s0 += xv[a]! * g[e]!;
                    s1 += xv[a + 1]! * g[e + 1]!;
                    s2 += xv[a + 2]! * g[e + 2]!;
                    s3 += xv[a + 3]! * g[e + 3]!;
                }
                dW[base + d] = s0;
                dW[base + d + 1] = s1;
                dW[base + d + 2] = s2;
                dW[base + d + 3] = s3;
            }
            for (; d < c; d++) {
                let s = 0;
                for (let q = 0; q < pairs; q++) s += xv[xAt[q]! + d]! * g[gAt[q]! + d]!;
                dW[base + d] = s;
            }
        }
    }
}

/** Multiply-adds below which the loop beats the composite (measured on MobileNetV2 shapes). */
export const DEPTHWISE_LOOP_LIMIT = 1_500_000;

function depthwiseFilterKernel(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend }): tf.TensorInfo | tf.Tensor {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as Record<string, unknown>;
    const filterShape = attrs['filterShape'] as Shape4;
    const info = depthwiseInfo(x.shape as Shape4, filterShape, attrs);
    const macs = info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels;
    if (filterShape[3] === 1 && x.dtype === 'float32' && dy.dtype === 'float32' && macs <= DEPTHWISE_LOOP_LIMIT) {
        return depthwiseBackpropFilterLoop(x, dy, info, args.backend);
    }
    return tf.tidy(() => depthwiseBackpropFilter({ x: asTensor(x), dy: asTensor(dy) }, attrs));
}

/** `composite`: always the composite filter gradient (the earlier formulation, for A/B measurements). */
export function registerDepthwiseBackprop(composite = false): void {
    registerComposite('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
    if (composite) registerComposite('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter);
    else {
        if (tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm') !== undefined) tf.unregisterKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm');
        tf.registerKernel({ kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseFilterKernel as unknown as tf.KernelFunc });
    }
}
