// `--resume` continues training where it stopped: an optimizer restored from a snapshot takes
// the same next step as one that never stopped (Adam's moments and step count, momentum's and
// RMSProp's accumulators).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerPlan } from '../../src/runtime/plan/types.js';
import { GroupOptimizer } from '../../src/runtime/train/optimizers.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

let counter = 0;

/** A head and a backbone variable group with a quadratic loss whose gradients change every step. */
function problem(): { head: tf.Variable[]; backbone: tf.Variable[]; loss: (step: number) => () => tf.Scalar } {
    const id = counter++;
    const head = [tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]), true, `r${id}_k`), tf.variable(tf.tensor1d([0.1, -0.3]), true, `r${id}_b`)];
    const backbone = [tf.variable(tf.tensor1d([1, -2, 3]), true, `r${id}_w`)];
    const loss = (step: number) => () =>
        tf.tidy(() => {
            const target = 0.1 * (step + 1);
            const terms = [...head, ...backbone].map((v) => tf.sum(tf.square(tf.sub(v, target))));
            return tf.addN(terms) as tf.Scalar;
        });
    return { head, backbone, loss };
}

const kinds: OptimizerPlan[] = [
    { kind: 'adam', lr: 0.05 },
    { kind: 'adamw', lr: 0.05, decay: 0.01 },
    { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: false },
    { kind: 'rmsprop', lr: 0.01, momentum: 0.5 }
];

describe('optimizer snapshot and restore', () => {
    for (const plan of kinds) {
        it(`${plan.kind}: a restored optimizer continues exactly like the one that never stopped`, async () => {
            const a = problem();
            const straight = new GroupOptimizer(plan, 0.5 * plan.lr);
            for (let step = 0; step < 4; step++) straight.step({ head: a.head, backbone: a.backbone }, a.loss(step)).dispose();

            const b = problem();
            const first = new GroupOptimizer(plan, 0.5 * plan.lr);
            for (let step = 0; step < 2; step++) first.step({ head: b.head, backbone: b.backbone }, b.loss(step)).dispose();
            const snapshot = await first.snapshot();
            first.dispose();
            // A new process: a fresh optimizer, then the snapshot (after a JSON/binary round trip of its numbers).
            const second = new GroupOptimizer(plan, 0.5 * plan.lr);
            expect(await second.restore(snapshot)).toBe(true);
            for (let step = 2; step < 4; step++) second.step({ head: b.head, backbone: b.backbone }, b.loss(step)).dispose();

            [...a.head, ...a.backbone].forEach((v, i) => {
                const w = [...b.head, ...b.backbone][i]!;
                expect(Array.from(w.dataSync())).toEqual(Array.from(v.dataSync()).map((x) => expect.closeTo(x, 6)));
            });
            // Without the snapshot the continuation differs (the moments matter).
            const c = problem();
            const fresh = new GroupOptimizer(plan, 0.5 * plan.lr);
            for (let step = 0; step < 2; step++) fresh.step({ head: c.head, backbone: c.backbone }, c.loss(step)).dispose();
            const restarted = new GroupOptimizer(plan, 0.5 * plan.lr);
            for (let step = 2; step < 4; step++) restarted.step({ head: c.head, backbone: c.backbone }, c.loss(step)).dispose();
            expect(Array.from(c.backbone[0]!.dataSync())).not.toEqual(Array.from(a.backbone[0]!.dataSync()));
        });
    }

    it('refuses a snapshot of another kind of optimizer', async () => {
        const p = problem();
        const adam = new GroupOptimizer({ kind: 'adam', lr: 0.01 }, undefined);
        adam.step({ head: p.head, backbone: p.backbone }, p.loss(0)).dispose();
        const sgd = new GroupOptimizer({ kind: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false }, undefined);
        expect(await sgd.restore(await adam.snapshot())).toBe(false);
    });
});
