// Faster wasm formulations of layout kernels that training hits:
// - Tile: the native one is a per-element JavaScript loop (≈0.7 s to tile a channel vector over
//   a 32x48x48 batch); a broadcasting Add onto zeros does the same natively.
// - Slice: the native one copies the innermost dimension row by row; merging the trailing
//   dimensions that are taken whole turns a window into a few long copies.
// - BatchMatMul with transposed operands runs a scalar loop (≈0.4 GFLOP/s) while untransposed
//   batch-1 products use XNNPACK: transpose explicitly, fold broadcast batches into rows.
import * as tf from '@tensorflow/tfjs';
import { registerComposite, runOriginal, type TensorMap } from './composite.js';

export function tile(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor {
    const x = inputs['x']!;
    const reps = attrs['reps'] as number[];
    if (x.dtype === 'string' || x.dtype === 'complex64' || reps.length !== x.rank) return runOriginal('Tile', { x }, attrs);
    // Each axis becomes either [d] (not repeated), [r] (a size-1 axis repeated) or [r, d].
    const xShape: number[] = [];
    const outShape: number[] = [];
    x.shape.forEach((d, a) => {
        const r = reps[a]!;
        if (r === 1) {
            xShape.push(d);
            outShape.push(d);
        } else if (d === 1) {
            xShape.push(1);
            outShape.push(r);
        } else {
            xShape.push(1, d);
            outShape.push(r, d);
        }
    });
    // wasm's broadcasting binary ops handle up to 4 dimensions natively.
    if (outShape.length > 4) return runOriginal('Tile', { x }, attrs);
    const zeros = x.dtype === 'bool' ? tf.zeros(outShape, 'int32') : tf.zeros(outShape, x.dtype);
    const sum = tf.add(tf.reshape(x.dtype === 'bool' ? tf.cast(x, 'int32') : x, xShape), zeros);
    const finalShape = x.shape.map((d, a) => d * reps[a]!);
    const out = tf.reshape(sum, finalShape);
    return x.dtype === 'bool' ? tf.cast(out, 'bool') : out;
}

export function slice(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor {
    const x = inputs['x']!;
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs['begin'] as number[], attrs['size'] as number[]);
    // Merge trailing axes taken whole into the last partially-taken one.
    let last = x.rank - 1;
    while (last > 0 && begin[last] === 0 && size[last] === x.shape[last]) last--;
    if (last >= x.rank - 1 || x.dtype === 'string') return runOriginal('Slice', { x }, { begin, size });
    const inner = x.shape.slice(last + 1).reduce((a, b) => a * b, 1);
    const xShape = [...x.shape.slice(0, last), x.shape[last]! * inner];
    const b2 = [...begin.slice(0, last), begin[last]! * inner];
    const s2 = [...size.slice(0, last), size[last]! * inner];
    const out = runOriginal('Slice', { x: tf.reshape(x, xShape) }, { begin: b2, size: s2 });
    return tf.reshape(out, size);
}

export function batchMatMul(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor {
    let a = inputs['a']!;
    let b = inputs['b']!;
    const ta = attrs['transposeA'] === true;
    const tb = attrs['transposeB'] === true;
    const swapLast = (t: tf.Tensor) => {
        const perm = [...Array(t.rank).keys()];
        [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1]!, perm[t.rank - 2]!];
        return tf.transpose(t, perm);
    };
    if (ta) a = swapLast(a);
    if (tb) b = swapLast(b);
    const aBatch = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const bBatch = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const m = a.shape[a.rank - 2]!;
    const k = a.shape[a.rank - 1]!;
    const n = b.shape[b.rank - 1]!;
    if (bBatch === 1) {
        // All of a's batches share one b: a single [aBatch*m, k] x [k, n] product (XNNPACK).
        const out = runOriginal('BatchMatMul', { a: tf.reshape(a, [1, aBatch * m, k]), b: tf.reshape(b, [1, k, n]) }, { transposeA: false, transposeB: false });
        const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
        return tf.reshape(out, [...outer, m, n]);
    }
    return runOriginal('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
}

export function registerLayoutKernels(): void {
    registerComposite('Tile', tile);
    registerComposite('Slice', slice);
    registerComposite('BatchMatMul', batchMatMul);
}
