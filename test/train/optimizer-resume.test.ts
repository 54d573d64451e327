// `--resume` continues training where it stopped: an optimizer restored from a snapshot takes
// the same next step as one that never stopped (Adam's moments and step count, momentum's and
// RMSProp's accumulators).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerPlan } from '../../src/core/plan/types.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptimizerState, saveWeights } from '../../src/runtime/runs/model-io.js';
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
            expect(await second.restore(snapshot, { head: b.head, backbone: b.backbone })).toBe(true);
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
        expect(await sgd.restore(await adam.snapshot(), { head: p.head, backbone: p.backbone })).toBe(false);
    });

    for (const plan of [kinds[0]!, kinds[3]!]) {
        it(`${plan.kind}: refuses, changing nothing, a snapshot taken for other weights`, async () => {
            const p = problem();
            const opt = new GroupOptimizer(plan, undefined);
            opt.step({ head: p.head, backbone: p.backbone }, p.loss(0)).dispose();
            const snapshot = await opt.snapshot();
            const other = [tf.variable(tf.zeros([5]), true, `other${counter++}`)];
            const fresh = new GroupOptimizer(plan, undefined);
            await expect(fresh.restore(snapshot, { head: other, backbone: p.backbone })).rejects.toThrow(/weights/);
            await expect(fresh.restore(snapshot, { head: p.head, backbone: [] })).rejects.toThrow(/no backbone weights train/);
            // Still a fresh optimizer: no moments or accumulators were taken over.
            const after = await fresh.snapshot();
            expect((after.head?.tensors ?? []).filter((t) => t.name !== 'iter')).toEqual([]);
        });
    }

    it('goes to disk beside the weights and comes back equal; damaged files are errors naming the file', async () => {
        const p = problem();
        const opt = new GroupOptimizer({ kind: 'adam', lr: 0.01 }, 0.001);
        opt.step({ head: p.head, backbone: p.backbone }, p.loss(0)).dispose();
        const snapshot = await opt.snapshot();
        const input = tf.input({ shape: [2] });
        const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor });
        const dir = join(mkdtempSync(join(tmpdir(), 'graft-opt-')), 'last-main');
        await saveWeights(model, dir, snapshot);
        const back = loadOptimizerState(dir)!;
        expect(back.kind).toBe('adam');
        expect(back.head!.step).toBe(1);
        expect(back.head!.signature).toBe(snapshot.head!.signature);
        expect(Array.from(back.head!.tensors[0]!.values)).toEqual(Array.from(snapshot.head!.tensors[0]!.values));
        expect(Array.from(back.backbone!.tensors[1]!.values)).toEqual(Array.from(snapshot.backbone!.tensors[1]!.values));
        const bin = readFileSync(join(dir, 'optimizer.bin'));
        writeFileSync(join(dir, 'optimizer.bin'), bin.subarray(0, 8));
        expect(() => loadOptimizerState(dir)).toThrow(/optimizer\.bin is shorter/);
        writeFileSync(join(dir, 'optimizer.json'), '{"format": "graft-opt');
        expect(() => loadOptimizerState(dir)).toThrow(/optimizer\.json is not readable JSON/);
    });
});
