// The two depthwise-convolution gradients wasm lacks (MobileNets need both).
//
// Input gradient: a depthwise convolution (XNNPACK) of the zero-inserted gradient with the
// spatially flipped filter. Filter gradient: per kernel tap, the input window (a contiguous wide
// window, see windows.ts) times dy, summed over batch and space by an average pooling (see
// reductions.ts). Dilated filters are handled as their zero-filled undilated equivalent.
import * as tf from '@tensorflow/tfjs';
import { registerComposite, type TensorMap } from './composite.js';
import { dilateFilter, padOrCrop, zeroInsert, type Shape4 } from './geometry.js';
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
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * mult, 1]) as tf.Tensor4D;
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

export function registerDepthwiseBackprop(): void {
    registerComposite('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
    registerComposite('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter);
}
