// Faster wasm formulations of layout kernels that training hits:
// - Tile: the native one is a per-element JavaScript loop (≈0.7 s to tile a channel vector over
//   a 32x48x48 batch); here whole rows are copied on the heap and blocks repeated (tileKernel),
//   not a broadcasting Add onto zeros as before (zeros built in JavaScript and uploaded, -0 lost).
// - Slice: the native one copies its whole input out of the heap first, then the innermost
//   dimension row by row.
// - BatchMatMul with transposed operands runs a scalar loop (≈0.4 GFLOP/s) while untransposed
//   batch-1 products use XNNPACK: transpose explicitly, fold broadcast batches into rows.
// - Identity, and Cast to the same dtype: share memory instead of copying (see identityKernel);
//   Cast to bool: the native one is wrong for values other than 0 and 1 (see castKernel).
// - GatherV2: whole-block copies on the heap (see gatherKernel).
import * as tf from '@tensorflow/tfjs';
import { registerComposite, registerDirect, runOriginal, type TensorMap } from './composite.js';

interface WasmHeapBackend {
    makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
    typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Slice reading the wasm heap in place. The native kernel first copies the WHOLE input out of
 * the heap (readSync) and then copies the innermost dimension row by row; here trailing axes
 * taken whole are merged into the last partial one and each contiguous run is one `set`.
 */
export function sliceKernel(
    args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend },
    original: tf.KernelFunc
): tf.TensorInfo {
    const x = args.inputs['x']!;
    if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return original(args) as tf.TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs['begin'] as number[], args.attrs['size'] as number[]);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(size, x.dtype);
    const total = size.reduce((a, b) => a * b, 1);
    if (total === 0) return out;
    // Views after makeOutput: allocating may grow (and so replace) the heap buffer.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const rank = x.shape.length;
    let last = rank - 1;
    while (last > 0 && begin[last] === 0 && size[last] === x.shape[last]) last--;
    // Contiguous run: the last partial axis together with all whole axes after it.
    let inner = 1;
    for (let a = last + 1; a < rank; a++) inner *= x.shape[a]!;
    const run = size[last]! * inner;
    const strides: number[] = new Array(rank).fill(0);
    let acc = 1;
    for (let a = rank - 1; a >= 0; a--) {
        strides[a] = acc;
        acc *= x.shape[a]!;
    }
    const outer = size.slice(0, last);
    const count = outer.reduce((a, b) => a * b, 1);
    const idx = new Array(outer.length).fill(0);
    let offset = 0;
    for (let a = 0; a <= last; a++) offset += begin[a]! * strides[a]!;
    for (let r = 0; r < count; r++) {
        let at = offset;
        for (let a = 0; a < idx.length; a++) at += idx[a]! * strides[a]!;
        dst.set(src.subarray(at, at + run), r * run);
        for (let a = idx.length - 1; a >= 0; a--) {
            if (++idx[a]! < outer[a]!) break;
            idx[a] = 0;
        }
    }
    return out;
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

/**
 * Identity sharing the input's memory (reference counted), as the cpu backend does. The wasm
 * kernel copies, and the engine clones every tensor a gradient needs through Identity: training
 * on slices of a cached feature matrix copied the whole matrix at every step. Tensors are
 * immutable (variables get new data ids on assign), so sharing is safe, as Reshape already does.
 */
export function identityKernel(
    args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend },
    original: tf.KernelFunc
): tf.TensorInfo {
    const x = args.inputs['x']!;
    if (x.dtype === 'string') return original(args) as tf.TensorInfo;
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Cast. To the dtype a tensor already has it shares memory, like Identity: tfjs runs the kernel
 * even then (the ReLU gradient casts its float32 step mask, batch moments cast x) and the wasm
 * kernel copies (≈1 ms per 64x28x28x32 activation). To bool, the wasm kernel copies numbers into
 * bytes (-2 became 254, 0.5 became 0); here any non-zero value is true, as on the cpu backend.
 */
export function castKernel(
    args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend },
    original: tf.KernelFunc
): tf.TensorInfo {
    const x = args.inputs['x']!;
    const dtype = args.attrs['dtype'] as tf.DataType;
    if (x.dtype === dtype && x.dtype !== 'string') {
        args.backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    }
    if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
        const backend = args.backend as unknown as WasmHeapBackend;
        const out = backend.makeOutput([...x.shape], 'bool');
        const src = backend.typedArrayFromHeap(x);
        const dst = backend.typedArrayFromHeap(out);
        for (let i = 0; i < dst.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
        return out;
    }
    return original(args) as tf.TensorInfo;
}

/**
 * GatherV2 copying whole contiguous blocks from the heap (a row of features per index). The
 * native kernel took ≈0.1 s to shuffle a 5,000 x 1,280 feature matrix, once per epoch of head
 * training and for every batch inside model.fit.
 */
export function gatherKernel(
    args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend },
    original: tf.KernelFunc
): tf.TensorInfo {
    const x = args.inputs['x']!;
    const indices = args.inputs['indices']!;
    const batchDims = Number(args.attrs['batchDims'] ?? 0);
    if (batchDims !== 0 || x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') {
        return original(args) as tf.TensorInfo;
    }
    const rank = x.shape.length;
    const rawAxis = Number(args.attrs['axis'] ?? 0);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const dim = x.shape[axis]!;
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const backend = args.backend as unknown as WasmHeapBackend;
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const count = indices.shape.reduce((a, b) => a * b, 1);
    const out = backend.makeOutput(outShape, x.dtype);
    if (count * outer * inner === 0) return out;
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    for (let j = 0; j < count; j++) {
        const k = idx[j]!;
        if (k < 0 || k >= dim) throw new Error(`GatherV2: index ${k} is not in [0, ${dim - 1}]`);
    }
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    // Rows are moved within one view of the whole heap (copyWithin: a memmove, no view per row,
    // which a training step's 32-row batch paid 32 times); short rows element by element.
    const Whole = dst.constructor as new (buffer: ArrayBufferLike) => Float32Array | Int32Array | Uint8Array;
    const whole = new Whole(dst.buffer);
    const srcBase = src.byteOffset / dst.BYTES_PER_ELEMENT;
    let at = dst.byteOffset / dst.BYTES_PER_ELEMENT;
    for (let o = 0; o < outer; o++) {
        const base = srcBase + o * dim * inner;
        for (let j = 0; j < count; j++) {
            const from = base + idx[j]! * inner;
            if (inner < 64) for (let i = 0; i < inner; i++) whole[at + i] = whole[from + i]!;
            else whole.copyWithin(at, from, from + inner);
            at += inner;
        }
    }
    return out;
}

/**
 * Tile by copies on the heap: the innermost axis's row is written `reps` times, then each block
 * of an outer axis, once complete, is copied `reps - 1` times after itself. Every element is
 * copied (memcpy speed, bits kept), with one `set`/`copyWithin` per run instead of per element.
 */
export function tileKernel(
    args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend },
    original: tf.KernelFunc
): tf.TensorInfo {
    const x = args.inputs['x']!;
    const reps = args.attrs['reps'] as number[];
    if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0 || reps.length !== x.shape.length) return original(args) as tf.TensorInfo;
    const backend = args.backend as unknown as WasmHeapBackend;
    const outShape = x.shape.map((d, a) => d * reps[a]!);
    const out = backend.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) === 0) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const rank = x.shape.length;
    // Strides of the input and of the output, in elements.
    const inStride = new Array<number>(rank);
    const outStride = new Array<number>(rank);
    inStride[rank - 1] = 1;
    outStride[rank - 1] = 1;
    for (let a = rank - 2; a >= 0; a--) {
        inStride[a] = inStride[a + 1]! * x.shape[a + 1]!;
        outStride[a] = outStride[a + 1]! * outShape[a + 1]!;
    }
    const fill = (axis: number, from: number, to: number): void => {
        const d = x.shape[axis]!;
        if (axis === rank - 1) {
            const row = src.subarray(from, from + d);
            for (let r = 0; r < reps[axis]!; r++) dst.set(row, to + r * d);
            return;
        }
        for (let i = 0; i < d; i++) fill(axis + 1, from + i * inStride[axis]!, to + i * outStride[axis]!);
        const block = d * outStride[axis]!;
        for (let r = 1; r < reps[axis]!; r++) dst.copyWithin(to + r * block, to, to + block);
    };
    fill(0, 0, 0);
    return out;
}

export function registerLayoutKernels(): void {
    registerDirect('GatherV2', gatherKernel);
    registerDirect('Identity', identityKernel);
    registerDirect('Cast', castKernel);
    registerDirect('Tile', tileKernel);
    registerDirect('Slice', sliceKernel);
    registerComposite('BatchMatMul', batchMatMul);
}
