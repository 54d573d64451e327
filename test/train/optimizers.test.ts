// One optimizer step against hand-computed values. Loss = Σ w² / 2, so the gradient is w itself.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, GroupOptimizer } from '../../src/runtime/train/optimizers.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

const halfSquare = (vars: tf.Variable[]) => () => tf.addN(vars.map((v) => tf.mul(tf.sum(tf.square(v)), 0.5))) as tf.Scalar;
const values = (v: tf.Variable): number[] => Array.from(v.dataSync());

describe('optimizers', () => {
    it('sgd: w − lr·g; the backbone group uses `backbone lr`', () => {
        const head = tf.variable(tf.tensor1d([1, -2]), true, 'h1');
        const backbone = tf.variable(tf.tensor1d([4]), true, 'b1');
        const opt = new GroupOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0, nesterov: false }, 0.01);
        opt.step({ head: [head], backbone: [backbone] }, halfSquare([head, backbone])).dispose();
        expect(values(head)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-1.8, 6)]);
        expect(values(backbone)[0]).toBeCloseTo(4 - 0.01 * 4, 6);
        // a schedule scales both groups: backbone keeps its ratio lr_b / lr = 0.1
        opt.setLr(0.05);
        expect(opt.lrs).toEqual({ head: 0.05, backbone: expect.closeTo(0.005, 12) });
    });
    it('sgd momentum 0.9 (nesterov and not) over two steps', () => {
        const w = tf.variable(tf.tensor1d([1]), true, 'm1');
        const opt = new GroupOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false }, undefined);
        opt.step({ head: [w], backbone: [] }, halfSquare([w])).dispose(); // a=1, w=0.9
        opt.step({ head: [w], backbone: [] }, halfSquare([w])).dispose(); // a=0.9·1+0.9=1.8, w=0.9−0.18=0.72
        expect(values(w)[0]).toBeCloseTo(0.72, 6);
        const n = tf.variable(tf.tensor1d([1]), true, 'n1');
        const nes = new GroupOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, undefined);
        nes.step({ head: [n], backbone: [] }, halfSquare([n])).dispose(); // a=1, w = 1 − 0.1·(1 + 0.9·1) = 0.81
        expect(values(n)[0]).toBeCloseTo(0.81, 6);
    });
    it('adam: the first step moves each weight by lr·sign(g)', () => {
        const w = tf.variable(tf.tensor1d([3, -0.5]), true, 'a1');
        const opt = new GroupOptimizer({ kind: 'adam', lr: 0.01 }, undefined);
        opt.step({ head: [w], backbone: [] }, halfSquare([w])).dispose();
        expect(values(w)).toEqual([expect.closeTo(2.99, 5), expect.closeTo(-0.49, 5)]);
    });
    it('adamw: decoupled decay w·(1 − lr·wd) on kernels only, then the Adam step', () => {
        const kernel = tf.variable(tf.tensor2d([[2]]), true, 'k1');
        const bias = tf.variable(tf.tensor1d([2]), true, 'bias1');
        const opt = new GroupOptimizer({ kind: 'adamw', lr: 0.1, decay: 0.5 }, undefined);
        // kernel: 2·(1 − 0.05) = 1.9, then −0.1·sign(2) = 1.8; bias: 2 − 0.1 = 1.9
        opt.step({ head: [kernel, bias], backbone: [] }, halfSquare([kernel, bias])).dispose();
        expect(values(kernel)[0]).toBeCloseTo(1.8, 5);
        expect(values(bias)[0]).toBeCloseTo(1.9, 5);
    });
    it('rmsprop: first step g·lr/√(0.1·g²) = lr·√10·sign(g)', () => {
        const w = tf.variable(tf.tensor1d([2]), true, 'r1');
        const opt = new GroupOptimizer({ kind: 'rmsprop', lr: 0.01, momentum: 0 }, undefined);
        opt.step({ head: [w], backbone: [] }, halfSquare([w])).dispose();
        expect(values(w)[0]).toBeCloseTo(2 - 0.01 * Math.sqrt(10), 4);
    });
    it('clip_norm scales all gradients by max/‖g‖ over both groups', () => {
        const grads: tf.NamedTensorMap = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) };
        expect(clipByGlobalNorm(grads, 1)).toBeCloseTo(5, 6);
        expect(Array.from(grads.a.dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
        expect(Array.from(grads.b.dataSync())[0]).toBeCloseTo(0.8, 6);
        const w = tf.variable(tf.tensor1d([3, 4]), true, 'c1');
        const opt = new GroupOptimizer({ kind: 'sgd', lr: 1, momentum: 0, nesterov: false }, undefined, 1);
        opt.step({ head: [w], backbone: [] }, halfSquare([w])).dispose(); // g = (3,4) → clipped (0.6, 0.8)
        expect(values(w)).toEqual([expect.closeTo(2.4, 6), expect.closeTo(3.2, 6)]);
    });
});
