// The gradients of ReLU6 and clipping on wasm in one pass each. tfjs builds them from
// whole-tensor kernels: where(x >= lo && x <= hi, dy, zerosLike(dy)) is five kernels (plus a
// scalar upload per bound), the native comparisons and LogicalAnd cost ≈4-5 ns per element each
// (bool outputs miss their fast paths), and each kernel adds the engine's overhead; one loop over
// the heap costs ≈4 ns per element in all (1.4 ms instead of ≈6 for 32x3x3x1280).
// ReLU's own gradient, mul(dy, cast(step(x))), stays: those three native kernels are faster
// (≈0.8 ns per element in all) than a JavaScript loop.
//
// Gradient functions are registered per kernel name for every backend, so ours keeps tfjs' own
// function and uses it on any backend but wasm (cpu results are unchanged). On wasm it differs
// only where dy is infinite and the mask is 0 (0 here, NaN = 0 * inf there) and, for ReLU6, where
// x is NaN (0 here, NaN there).
import * as tf from '@tensorflow/tfjs';
import { overrideGradient } from '../gradient-override.js';
import { outputAndViews } from './heap.js';

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: tf.KernelBackend };

/** dy where lo <= x <= hi (lo < x with openLo: ReLU6 is (0, 6], clipping [lo, hi]). */
const MASKED_GRAD = 'GraftMaskedGrad';

function bits(a: Float32Array | Int32Array | Uint8Array): Int32Array {
    return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * o = g where the mask holds, else 0, on bit patterns: the mask as -1 / 0 selects without a branch
 * (signs of activations are random). Only typed arrays and numbers come in, so V8 keeps one
 * optimised version whatever the kernel's arguments look like.
 */
function maskLoop(v: Float32Array, g: Int32Array, o: Int32Array, lo: number, hi: number, openLo: boolean): void {
    const n = o.length;
    if (openLo) {
        for (let i = 0; i < n; i++) {
            const x = v[i]!;
            o[i] = g[i]! & -(+(x > lo) & +(x <= hi));
        }
    } else {
        for (let i = 0; i < n; i++) {
            const x = v[i]!;
            o[i] = g[i]! & -(+(x >= lo) & +(x <= hi));
        }
    }
}

function maskedGrad(args: Args): tf.TensorInfo {
    const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const { out, dst, srcs } = outputAndViews(args.backend, [...dy.shape], 'float32', [dy, x]);
    maskLoop(srcs[1] as Float32Array, bits(srcs[0]!), bits(dst), Number(args.attrs['lo']), Number(args.attrs['hi']), args.attrs['openLo'] === true);
    return out;
}

type Bounds = (attrs: tf.NamedAttrMap) => { lo: number; hi: number; openLo: boolean };

/** Replaces the gradient of `kernelName` (input 'x', saved) by the masked pass on wasm. */
function overrideOnWasm(kernelName: string, bounds: Bounds): void {
    overrideGradient(kernelName, (original) => (dy, saved, attrs) => {
        const g = dy as tf.Tensor;
        const [x] = saved as [tf.Tensor];
        if (tf.getBackend() !== 'wasm' || g.dtype !== 'float32' || x.dtype !== 'float32' || g.size !== x.size) return original(dy, saved, attrs);
        return { x: () => tf.engine().runKernel(MASKED_GRAD, { dy: g, x }, { ...bounds(attrs) }) as tf.Tensor };
    });
}

let registered = false;

export function registerActivationGrads(): void {
    if (registered) return;
    registered = true;
    tf.registerKernel({ kernelName: MASKED_GRAD, backendName: 'wasm', kernelFunc: maskedGrad as unknown as tf.KernelFunc });
    overrideOnWasm('Relu6', () => ({ lo: 0, hi: 6, openLo: true }));
    overrideOnWasm('ClipByValue', (attrs) => ({ lo: Number(attrs['clipValueMin']), hi: Number(attrs['clipValueMax']), openLo: false }));
}
