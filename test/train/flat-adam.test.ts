// FlatAdam must be tf.train.adam, only with fewer kernels: same weights after several steps
// for variables of mixed shapes, with the learning rate changing between steps.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { FlatAdam } from '../../src/runtime/train/flat-adam.js';

function seeded(shape: number[], seed: number): tf.Tensor {
    return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe('FlatAdam', () => {
    it('matches tf.train.adam over 6 steps on mixed shapes (conv kernel, bias, dense)', () => {
        const shapes = [[3, 3, 4, 8], [8], [8, 5], [5], [1, 1, 8, 1]];
        const a = shapes.map((s, i) => tf.variable(seeded(s, i + 1), true, `fa_a${i}`));
        const b = shapes.map((s, i) => tf.variable(seeded(s, i + 1), true, `fa_b${i}`));
        const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
        const flat = new FlatAdam(0.01, 0.9, 0.999, 1e-7);
        for (let step = 0; step < 6; step++) {
            const lr = 0.01 / (1 + step);
            (reference as unknown as { learningRate: number }).learningRate = lr;
            flat.learningRate = lr;
            const grads = shapes.map((s, i) => seeded(s, 100 + step * 10 + i));
            reference.applyGradients(b.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
            flat.applyGradients(a, grads);
            tf.dispose(grads);
        }
        a.forEach((v, i) => {
            const diff = tf.max(tf.abs(tf.sub(v, b[i]!))).dataSync()[0]!;
            expect(diff).toBeLessThan(1e-6);
        });
        // They moved: 6 steps of ~lr each.
        expect(tf.max(tf.abs(tf.sub(a[0]!, seeded(shapes[0]!, 1)))).dataSync()[0]).toBeGreaterThan(0.01);
        flat.dispose();
        reference.dispose();
    });

    it('restarts its moments when the set of variables changes (a new stage)', () => {
        const x = tf.variable(tf.tensor1d([1, 2]), true, 'fa_x');
        const y = tf.variable(tf.tensor1d([3]), true, 'fa_y');
        const flat = new FlatAdam(0.1);
        flat.applyGradients([x], [tf.tensor1d([1, -1])]);
        flat.applyGradients([x, y], [tf.tensor1d([1, -1]), tf.tensor1d([2])]);
        // A first step again: each weight moves by lr·sign(g).
        expect(Array.from(y.dataSync())[0]).toBeCloseTo(2.9, 5);
        expect(Array.from(x.dataSync())).toEqual([expect.closeTo(0.8, 5), expect.closeTo(2.2, 5)]);
        flat.dispose();
    });

    it('keeps its moments across steps given new arrays of the same variables, and restarts for other ones', () => {
        const x = tf.variable(tf.tensor1d([1, 2]), true, 'fa_k1');
        const y = tf.variable(tf.tensor1d([3]), true, 'fa_k2');
        const z = tf.variable(tf.tensor1d([5]), true, 'fa_k3');
        const flat = new FlatAdam(0.1);
        // Two steps of the same gradient (the second with a new array of the same variables), then
        // the opposite gradient: with the moments kept x moves back by ~0.026 (m̂ is still mostly
        // the old direction); a reset would move it back by lr = 0.1.
        flat.applyGradients([x, y], [tf.tensor1d([1, -1]), tf.tensor1d([2])]);
        flat.applyGradients([x, y].slice(), [tf.tensor1d([1, -1]), tf.tensor1d([2])]);
        expect(x.dataSync()[0]).toBeCloseTo(0.8, 5);
        flat.applyGradients([x, y], [tf.tensor1d([-1, 1]), tf.tensor1d([-2])]);
        expect(x.dataSync()[0]).toBeCloseTo(0.7738, 3);
        // Another variable of y's shape: the signature (shapes only, see variablesSignature) is the
        // same, so the moments continue: x moves by ~0.0105, not by lr.
        flat.applyGradients([x, z], [tf.tensor1d([-1, 1]), tf.tensor1d([2])]);
        expect(x.dataSync()[0]).toBeCloseTo(0.7843, 3);
        // Other shapes restart the moments: a first step again, exactly lr against the gradient.
        const before = z.dataSync()[0]!;
        flat.applyGradients([z], [tf.tensor1d([-2])]);
        expect(z.dataSync()[0]).toBeCloseTo(before + 0.1, 5);
        flat.dispose();
    });

    it('runs its arithmetic once for all variables: far fewer kernels than tf.train.adam', async () => {
        const many = Array.from({ length: 40 }, (_, i) => tf.variable(tf.ones([3, 2]), true, `fa_m${i}`));
        const others = Array.from({ length: 40 }, (_, i) => tf.variable(tf.ones([3, 2]), true, `fa_o${i}`));
        const grads = many.map(() => tf.ones([3, 2]));
        const flat = new FlatAdam(0.01);
        const reference = tf.train.adam(0.01);
        const ours = (await tf.profile(() => flat.applyGradients(many, grads))).kernels.map((k) => k.name);
        const theirs = (await tf.profile(() => reference.applyGradients(others.map((v, i) => ({ name: v.name, tensor: grads[i]! }))))).kernels.map((k) => k.name);
        // Per variable: a reshape in, a slice and a reshape out; the arithmetic runs once.
        const arithmetic = ours.filter((k) => k !== 'Reshape' && k !== 'Slice');
        expect(arithmetic.length).toBeLessThanOrEqual(16);
        expect(ours.filter((k) => k === 'Slice')).toHaveLength(40);
        expect(theirs.filter((k) => k !== 'Reshape' && k !== 'Identity').length).toBeGreaterThan(8 * 40);
        flat.dispose();
        reference.dispose();
    });
});
