// Measures `adapt to … using coral|mmd|dann` on examples/domain-adaptation.graft until the trainer
// calls the adaptation hook itself: the same recipe as the trainer (seeded epochs, the runtime's
// data adapter, backbone, heads, GroupOptimizer, best checkpoint by val_loss restored at the end),
// with and without the adaptation term, evaluated on `shifted`.
//
//   npx tsx test/transfer/measure-adaptation.ts [examples dir] [seeds, e.g. 11,12,13] [method override] [weight override]
//
// Prints one line per (experiment, seed) and the means. Slow (minutes): not part of `npm test`.

import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildPlans } from '../../src/runtime/plan/build.js';
import type { ExperimentPlan } from '../../src/runtime/plan/types.js';
import { chooseBackend } from '../../src/runtime/runs/backend-choice.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { loadBackbone } from '../../src/runtime/train/backbone.js';
import { loadTrainingData } from '../../src/runtime/train/data-adapter.js';
import { assembleModel, markFreshBatchNorm, paramGroups, restoreWeights, snapshotWeights, applyStageFreezing } from '../../src/runtime/train/model.js';
import { loss as lossOf } from '../../src/runtime/train/losses.js';
import { GroupOptimizer } from '../../src/runtime/train/optimizers.js';
import { restoreRandom, seedRandom } from '../../src/runtime/train/seeded-random.js';
import { metricsOf, predictSplit } from '../../src/runtime/eval/evaluate.js';
import { Adaptation } from '../../src/runtime/transfer/adapt-step.js';

async function trainAndEvaluate(plan: ExperimentPlan): Promise<{ shifted: number; val: number; adaptLoss: number[] }> {
    const warn = (m: string): void => console.error(`warning: ${m}`);
    const loaded = await loadTrainingData(plan, warn);
    const data = loaded.data;
    const { model, description } = await loadBackbone(plan, { ...defaultBackboneLoaders(), experimentBackbone: async () => { throw new Error('no dependencies here'); } }, false);
    if (plan.head.kind !== 'output') throw new Error('output head expected');
    const heads = plan.head.heads;
    const m = assembleModel(model, plan, (h) => data.classes[heads.indexOf(h)].length, description);
    // As the runner: a backbone from random weights has no statistics to keep yet.
    if (!m.pretrained) markFreshBatchNorm(m.backboneLayers);
    const adapt = plan.adapt ? await Adaptation.create(plan, m, { trainSize: data.train.size, warn }) : undefined;
    const adaptLoss: number[] = [];
    let mask: boolean[] | undefined;
    try {
        for (let s = 0; s < plan.stages.length; s++) {
            const stage = plan.stages[s];
            mask = applyStageFreezing(m, stage, mask).mask;
            const groups = paramGroups(m);
            if (adapt) groups.head.push(...adapt.variables);
            const optimizer = new GroupOptimizer(stage.optimizer, stage.backboneLr, stage.clipNorm);
            let best: { value: number; snap: tf.Tensor[] } | undefined;
            for (let epoch = 0; epoch < stage.epochs; epoch++) {
                seedRandom(plan.seed, 'main', s, epoch);
                for await (const batch of data.train.batches(stage.batch, { shuffle: true, augment: true, seed: plan.seed, epoch: s * 100000 + epoch })) {
                    const tx = adapt ? await adapt.nextTarget(stage.batch) : undefined;
                    const value = optimizer.step(groups, () => {
                        let logits: tf.Tensor2D[];
                        let extra: tf.Scalar | undefined;
                        if (adapt && tx) {
                            const out = adapt.forward(batch.x, tx);
                            logits = out.logits;
                            extra = out.loss;
                        } else {
                            const raw = m.model.apply(batch.x, { training: true }) as tf.Tensor | tf.Tensor[];
                            logits = (Array.isArray(raw) ? raw : [raw]) as tf.Tensor2D[];
                        }
                        let total = logits
                            .map((l, i) => tf.mul(lossOf(heads[i].loss, heads[i].activation, { logits: l, labels: batch.labels[i] }), heads[i].weight) as tf.Scalar)
                            .reduce((a, b) => tf.add(a, b) as tf.Scalar);
                        if (extra) total = tf.add(total, extra) as tf.Scalar;
                        return total;
                    });
                    tf.dispose([value, tx, batch.x, ...batch.labels]);
                }
                const epochAdapt = adapt?.takeEpochMetrics().adapt_loss;
                if (epochAdapt !== undefined) adaptLoss.push(epochAdapt);
                if (data.val) {
                    const v = metricsOf(await predictSplit(m.model, heads, data.val, 64), plan.metrics);
                    const vl = v.loss as number;
                    if (!best || vl < best.value) {
                        if (best) tf.dispose(best.snap);
                        best = { value: vl, snap: snapshotWeights(m.model) };
                    }
                }
            }
            if (best) {
                restoreWeights(m.model, best.snap);
                tf.dispose(best.snap);
            }
            optimizer.dispose();
        }
        restoreRandom();
        const target = plan.evaluate.find((e) => e.kind === 'dataset');
        const shiftedFeed = data.evaluation.get(target?.kind === 'dataset' ? target.dataset.name : 'test');
        if (!shiftedFeed) throw new Error('no evaluation dataset');
        const shifted = metricsOf(await predictSplit(m.model, heads, shiftedFeed, 64), plan.metrics).accuracy as number;
        const val = data.val ? (metricsOf(await predictSplit(m.model, heads, data.val, 64), plan.metrics).accuracy as number) : NaN;
        return { shifted, val, adaptLoss };
    } finally {
        await adapt?.close();
        m.model.dispose();
        await loaded.close();
    }
}

async function main(): Promise<void> {
    const dir = resolve(process.argv[2] ?? join(import.meta.dirname, '../../../shared/examples'));
    const seeds = (process.argv[3] ?? '11').split(',').map(Number);
    const method = (process.argv[4] || undefined) as 'coral' | 'mmd' | 'dann' | undefined;
    const weight = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
    console.error(`backend: ${await chooseBackend(undefined, 'auto', (m) => console.error(m))}`);
    const set = await buildPlans([dir]);
    const results: Record<string, number[]> = {};
    for (const seed of seeds) {
        for (const name of ['clean_only', 'clean_to_shifted']) {
            const base = set.experiments.get(name);
            if (!base) throw new Error(`no experiment ${name} in ${dir}`);
            const plan: ExperimentPlan = { ...structuredClone(base), seed };
            if (plan.adapt && method) plan.adapt.method = method;
            if (plan.adapt && weight !== undefined) plan.adapt.weight = weight;
            const started = Date.now();
            const r = await trainAndEvaluate(plan);
            const label = plan.adapt ? `${name} (${plan.adapt.method} weight ${plan.adapt.weight})` : name;
            (results[label] ??= []).push(r.shifted);
            console.log(`${label} seed ${seed}: shifted accuracy ${r.shifted.toFixed(4)}, clean val accuracy ${r.val.toFixed(4)}` +
                `${r.adaptLoss.length ? `, adapt_loss epoch 1 ${r.adaptLoss[0].toFixed(5)} → last ${r.adaptLoss[r.adaptLoss.length - 1].toFixed(5)}` : ''} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        }
    }
    for (const [label, values] of Object.entries(results)) {
        console.log(`${label}: mean shifted accuracy over ${values.length} seed(s) ${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(4)} [${values.map((v) => v.toFixed(4)).join(', ')}]`);
    }
}

await main();
