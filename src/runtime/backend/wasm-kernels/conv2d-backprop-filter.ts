// Conv2DBackpropFilter for wasm (missing there): dW[i, j] = window(i, j)^T · dy, one matrix
// product per kernel tap on contiguous "wide" windows (see windows.ts).
//
// wasm's BatchMatMul is fast (XNNPACK) only with untransposed operands and batch 1, so every
// product is [cout, rows] x [rows, k], with dy transposed once by a (native, 4-D) Transpose.
import * as tf from '@tensorflow/tfjs';
import { registerComposite, type TensorMap } from './composite.js';
import { shapeNHWC, toNHWC, type Shape4 } from './geometry.js';
import { toPhases, toWide, wideLayout, windowOf } from './windows.js';

export function conv2dBackpropFilter(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor4D {
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
        // Pointwise: dW = x^T · dy as (dy^T · x)^T, both transposes native and cheap.
        const dyT = tf.reshape(tf.transpose(dy, [3, 0, 1, 2]), [cout, n * h * w]);
        const g = tf.matMul(dyT, tf.reshape(x, [n * h * w, cin])); // [cout, cin]
        return tf.reshape(tf.transpose(g), [1, 1, cin, cout]);
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

export function registerConv2dBackpropFilter(): void {
    registerComposite('Conv2DBackpropFilter', conv2dBackpropFilter);
}
