// MaxPoolGrad for wasm. The native kernel starts its running maximum at the smallest positive
// float instead of -infinity, so windows whose values are all <= 0 lose or misroute their
// gradient. This one routes dy to the first maximum of each window in row-major order (what the
// cpu backend does): per kernel tap, a mask "equals the pooled value and no earlier tap did",
// computed on contiguous wide windows (windows.ts) and put back with native Pads.
import * as tf from '@tensorflow/tfjs';
import { registerComposite, type TensorMap } from './composite.js';
import { fromPhases, placeWindow, toPhases, toWide, wideLayout, windowOf } from './windows.js';

export function maxPoolGrad(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor4D {
    const dy = inputs['dy'] as tf.Tensor4D;
    const x = inputs['input'] as tf.Tensor4D;
    const y = inputs['output'] as tf.Tensor4D;
    const info = tf.backend_util.computePool2DInfo(
        x.shape,
        attrs['filterSize'] as [number, number],
        attrs['strides'] as [number, number],
        1,
        attrs['pad'] as 'same',
        attrs['dimRoundingMode'] as 'floor' | undefined
    );
    const [n, h, w, c] = x.shape;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo, outHeight: oh, outWidth: ow } = info;
    const lay = wideLayout({ n, h, w, c, kh, kw, sh, sw, top: padInfo.top, left: padInfo.left, outH: oh, outW: ow });
    // Padding with -inf keeps padded cells from ever matching a maximum.
    const phases = toPhases(x, lay, -Infinity);
    const group = sw * c;
    const yWide = toWide(y, lay, group);
    const dyWide = toWide(dy, lay, group); // zero outside real outputs: stray matches route nothing
    let unclaimed: tf.Tensor | undefined;
    const placed: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
            let hit: tf.Tensor = tf.equal(windowOf(phases, lay, i, j), yWide);
            if (unclaimed !== undefined) hit = tf.logicalAnd(hit, unclaimed);
            const last = i === kh - 1 && j === kw - 1;
            if (!last) unclaimed = unclaimed === undefined ? tf.logicalNot(hit) : tf.logicalAnd(unclaimed, tf.logicalNot(hit));
            const routed = tf.where(hit, dyWide, tf.zerosLike(dyWide)) as tf.Tensor2D;
            placed.push(placeWindow(routed, lay, i, j));
        }
    }
    return fromPhases(tf.addN(placed) as tf.Tensor2D, lay);
}

export function registerMaxPoolGrad(): void {
    registerComposite('MaxPoolGrad', maxPoolGrad);
}
