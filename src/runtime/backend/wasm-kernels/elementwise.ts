// Comparisons and LogicalAnd for wasm as branch-free loops over the heap, for the common cases
// (operands of one shape, or a scalar). The native kernels take ≈4-5 ns per element for these
// (bool outputs and scalar broadcasts miss their fast paths), the loops ≈3 (≈1.5x faster).
// Other cases (broadcasts, other dtypes) go to the native kernels. (A bit-blending Select was
// slower than the native one, which stays.)
import * as tf from '@tensorflow/tfjs';
import { registerDirect } from './composite.js';
import { outputAndViews } from './heap.js';

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend };
type Compare = (a: Float32Array, b: Float32Array, out: Uint8Array, scalarB: boolean) => void;

function size(t: tf.TensorInfo): number {
    return t.shape.reduce((p, d) => p * d, 1);
}

function sameShape(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
    return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

// One loop function per comparison keeps each monomorphic for V8.
const compares: Record<string, Compare> = {
    GreaterEqual: (a, b, out, scalarB) => {
        if (scalarB) for (let i = 0, s = b[0]!; i < out.length; i++) out[i] = (a[i]! >= s) as unknown as number;
        else for (let i = 0; i < out.length; i++) out[i] = (a[i]! >= b[i]!) as unknown as number;
    },
    LessEqual: (a, b, out, scalarB) => {
        if (scalarB) for (let i = 0, s = b[0]!; i < out.length; i++) out[i] = (a[i]! <= s) as unknown as number;
        else for (let i = 0; i < out.length; i++) out[i] = (a[i]! <= b[i]!) as unknown as number;
    },
    Greater: (a, b, out, scalarB) => {
        if (scalarB) for (let i = 0, s = b[0]!; i < out.length; i++) out[i] = (a[i]! > s) as unknown as number;
        else for (let i = 0; i < out.length; i++) out[i] = (a[i]! > b[i]!) as unknown as number;
    },
    Less: (a, b, out, scalarB) => {
        if (scalarB) for (let i = 0, s = b[0]!; i < out.length; i++) out[i] = (a[i]! < s) as unknown as number;
        else for (let i = 0; i < out.length; i++) out[i] = (a[i]! < b[i]!) as unknown as number;
    }
};

function compareKernel(compare: Compare) {
    return (args: Args, original: tf.KernelFunc): tf.TensorInfo => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const scalarB = size(b) === 1;
        if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(scalarB || sameShape(a, b))) return original(args) as tf.TensorInfo;
        const { out, dst, srcs } = outputAndViews(args.backend, [...a.shape], 'bool', [a, b]);
        compare(srcs[0] as Float32Array, srcs[1] as Float32Array, dst as Uint8Array, scalarB);
        return out;
    };
}

export function logicalAnd(args: Args, original: tf.KernelFunc): tf.TensorInfo {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'bool' || b.dtype !== 'bool' || !sameShape(a, b)) return original(args) as tf.TensorInfo;
    const { out, dst, srcs } = outputAndViews(args.backend, [...a.shape], 'bool', [a, b]);
    const x = srcs[0] as Uint8Array;
    const y = srcs[1] as Uint8Array;
    const o = dst as Uint8Array;
    for (let i = 0; i < o.length; i++) o[i] = x[i]! & y[i]!;
    return out;
}

export function registerElementwise(): void {
    for (const [name, compare] of Object.entries(compares)) registerDirect(name, compareKernel(compare));
    registerDirect('LogicalAnd', logicalAnd);
}
