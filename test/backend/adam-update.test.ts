// The one-kernel Adam update on wasm (backend/wasm-kernels/adam-update.ts) against FlatAdam's tfjs
// formulation on the same backend and tf.train.adam on the cpu backend: random signed weights and
// gradients of mixed shapes, the learning rate changing between steps.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FlatAdam } from '../../src/runtime/train/flat-adam.js';
import { randomValues, useWasm } from './compare.js';

const SHAPES = [[3, 3, 4, 8], [8], [8, 5], [5], [1, 1, 8, 1], [37]];
const STEPS = 6;

/** Weights after STEPS steps of `update` on the current backend. */
function train(update: (vars: tf.Variable[], grads: tf.Tensor[], lr: number) => void, prefix: string): Float32Array[] {
    const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(randomValues(s, i + 1), s), true, `${prefix}${i}`));
    for (let step = 0; step < STEPS; step++) {
        const grads = SHAPES.map((s, i) => tf.tensor(randomValues(s, 100 + step * 10 + i), s));
        update(vars, grads, 0.01 / (1 + step));
        tf.dispose(grads);
    }
    const out = vars.map((v) => v.dataSync() as Float32Array);
    tf.dispose(vars);
    return out;
}

function flat(prefix: string): Float32Array[] {
    const opt = new FlatAdam(0.01, 0.9, 0.999, 1e-7);
    try {
        return train((vars, grads, lr) => {
            opt.learningRate = lr;
            opt.applyGradients(vars, grads);
        }, prefix);
    } finally {
        opt.dispose();
    }
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
    return Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i]![j]!)))));
}

beforeAll(useWasm);
afterEach(async () => {
    delete process.env['GRAFT_FLAT_ADAM_OPS'];
    await tf.setBackend('wasm');
});

describe('one-kernel Adam update on wasm', () => {
    it('gives the same weights as the tfjs formulation on wasm, and as tf.train.adam on cpu', async () => {
        const fused = flat('au_f');
        process.env['GRAFT_FLAT_ADAM_OPS'] = '1';
        const ops = flat('au_o');
        delete process.env['GRAFT_FLAT_ADAM_OPS'];
        await tf.setBackend('cpu');
        const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
        const cpu = train((vars, grads, lr) => {
            (reference as unknown as { learningRate: number }).learningRate = lr;
            reference.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
        }, 'au_c');
        reference.dispose();
        // Every operation rounded to float32 in the same order: equal to the last bit or nearly.
        expect(maxDiff(fused, ops)).toBeLessThanOrEqual(1e-7);
        expect(maxDiff(fused, cpu)).toBeLessThan(1e-6);
        // They moved: 6 steps of ≈lr each.
        const start = tf.tensor(randomValues(SHAPES[0]!, 1)).dataSync();
        expect(Math.max(...fused[0]!.map((v, j) => Math.abs(v - start[j]!)))).toBeGreaterThan(0.01);
    });

    it('is one kernel for all the variables (no concat, slices or per-op passes)', async () => {
        const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(randomValues(s, i + 1), s), true, `au_k${i}`));
        const grads = SHAPES.map((s, i) => tf.tensor(randomValues(s, 50 + i), s));
        const opt = new FlatAdam(0.01);
        opt.applyGradients(vars, grads); // first step allocates the moments
        const kernels = (await tf.profile(() => opt.applyGradients(vars, grads))).kernels.map((k) => k.name);
        expect(kernels).toEqual(['GraftAdamUpdate']);
        opt.dispose();
        tf.dispose([...vars, ...grads]);
    });
});
