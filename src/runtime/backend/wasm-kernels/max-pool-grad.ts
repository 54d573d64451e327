// MaxPoolGrad for wasm. The native kernel starts its running maximum at the smallest positive
// float instead of -infinity, so windows whose values are all <= 0 lose or misroute their
// gradient. Ours routes dy to the first maximum of each window in row-major order (what the
// cpu backend does). Two formulations: a loop over the heap (registered), and the older one
// made of tfjs ops (per kernel tap, a mask "equals the pooled value and no earlier tap did",
// computed on contiguous wide windows (windows.ts) and put back with native Pads), ~25x slower
// for small_cnn's pools and kept for A/B measurements (GRAFT_WASM_BASELINE, see index.ts).
import * as tf from '@tensorflow/tfjs';
import { registerComposite, registerDirect, type TensorMap } from './composite.js';
import { outputAndViews } from './heap.js';
import { fromPhases, placeWindow, toPhases, toWide, wideLayout, windowOf } from './windows.js';

/** A 2-D pooling's geometry from its NHWC input shape and kernel attributes (shared with the native kernel). */
export function poolInfo(inputShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo {
    return tf.backend_util.computePool2DInfo(
        inputShape as [number, number, number, number],
        attrs['filterSize'] as [number, number],
        attrs['strides'] as [number, number],
        1,
        attrs['pad'] as 'same',
        attrs['dimRoundingMode'] as 'floor' | undefined
    );
}

export function maxPoolGrad(inputs: TensorMap, attrs: Record<string, unknown>): tf.Tensor4D {
    const dy = inputs['dy'] as tf.Tensor4D;
    const x = inputs['input'] as tf.Tensor4D;
    const y = inputs['output'] as tf.Tensor4D;
    const info = poolInfo(x.shape, attrs);
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

/**
 * MaxPoolGrad as one loop over the heap: per output pixel and channel, the first cell of the
 * window (row-major; padding excluded) equal to the pooled value gets dy, which is the cpu
 * backend's rule (the first strictly greater value). ≈3 ms for a 64x28x28x32 input, where the
 * composite below took ≈40 ms. Differences: a NaN window routes nothing (cpu skips the NaNs),
 * and an infinite dy spreads NaN over its window (0 * inf).
 */
export function maxPoolGradDirect(
    args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend },
    original: tf.KernelFunc
): tf.TensorInfo {
    const { dy, input, output } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || output.dtype !== 'float32') return original(args) as tf.TensorInfo;
    const info = poolInfo(input.shape, args.attrs);
    const [n, h, w, c] = input.shape as [number, number, number, number];
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo, outHeight: oh, outWidth: ow } = info;
    const { out, dst, srcs } = outputAndViews(args.backend, [n, h, w, c], 'float32', [input, dy, output]);
    const dx = dst as Float32Array;
    const x = srcs[0] as Float32Array;
    const g = srcs[1] as Float32Array;
    const y = srcs[2] as Float32Array;
    dx.fill(0);
    const overlapping = kh > sh || kw > sw;
    // Offsets of the window's valid cells (padding excluded) for the current output pixel.
    const taps = new Int32Array(kh * kw);
    for (let b = 0; b < n; b++) {
        for (let yr = 0; yr < oh; yr++) {
            const r0 = yr * sh - padInfo.top;
            const rFrom = Math.max(0, r0);
            const rTo = Math.min(h, r0 + kh);
            for (let yc = 0; yc < ow; yc++) {
                const c0 = yc * sw - padInfo.left;
                const cFrom = Math.max(0, c0);
                const cTo = Math.min(w, c0 + kw);
                let count = 0;
                for (let r = rFrom; r < rTo; r++) {
                    for (let col = cFrom; col < cTo; col++) taps[count++] = ((b * h + r) * w + col) * c;
                }
                const o = ((b * oh + yr) * ow + yc) * c;
                if (count === 4 && !overlapping) {
                    routeFour(x, y, g, dx, taps, o, c);
                    continue;
                }
                for (let d = 0; d < c; d++) {
                    // The first cell equal to the pooled maximum takes dy: integer masks instead
                    // of branches, which random data would mispredict half the time.
                    const m = y[o + d]!;
                    const gd = g[o + d]!;
                    let free = 1;
                    for (let t = 0; t < count; t++) {
                        const p = taps[t]! + d;
                        const hit = ((x[p]! === m) as unknown as number) & free;
                        free ^= hit;
                        dx[p] += gd * hit;
                    }
                }
            }
        }
    }
    return out;
}

/**
 * The loop unrolled for 2x2 windows that do not overlap (small_cnn's pools), so each cell is
 * written once instead of accumulated: ≈2-3x faster than the generic loop.
 */
function routeFour(x: Float32Array, y: Float32Array, g: Float32Array, dx: Float32Array, taps: Int32Array, o: number, c: number): void {
    const p0 = taps[0]!;
    const p1 = taps[1]!;
    const p2 = taps[2]!;
    const p3 = taps[3]!;
    for (let d = 0; d < c; d++) {
        const m = y[o + d]!;
        const gd = g[o + d]!;
        const e0 = (x[p0 + d]! === m) as unknown as number;
        const e1 = ((x[p1 + d]! === m) as unknown as number) & (e0 ^ 1);
        const f1 = e0 | e1;
        const e2 = ((x[p2 + d]! === m) as unknown as number) & (f1 ^ 1);
        const e3 = ((x[p3 + d]! === m) as unknown as number) & ((f1 | e2) ^ 1);
        dx[p0 + d] = gd * e0;
        dx[p1 + d] = gd * e1;
        dx[p2 + d] = gd * e2;
        dx[p3 + d] = gd * e3;
    }
}

/** `composite`: the older formulation made of tfjs ops (kept for A/B measurements). */
export function registerMaxPoolGrad(composite = false): void {
    if (composite) registerComposite('MaxPoolGrad', maxPoolGrad);
    else registerDirect('MaxPoolGrad', maxPoolGradDirect);
}
