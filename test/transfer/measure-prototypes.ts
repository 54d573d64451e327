// Measures `head prototypes` + `evaluate episodes` on examples/digits-transfer.graft until the
// runner calls runPrototypes itself: the backbone experiment (digits_pretrain) is reused from an
// up-to-date run under <examples>/runs, or trained now by the runtime's runExperiment.
//
//   npx tsx test/transfer/measure-prototypes.ts [examples dir] [experiment] [cosine|euclidean]
//
// Slow the first time (trains digits_pretrain): not part of `npm test`.

import { join, resolve } from 'node:path';
import { buildPlans } from '../../src/runtime/plan/build.js';
import type { ExperimentPlan } from '../../src/runtime/plan/types.js';
import { chooseBackend } from '../../src/runtime/runs/backend-choice.js';
import { keyOf, runExperiment } from '../../src/runtime/runs/runner.js';
import { findUpToDate } from '../../src/runtime/runs/run-dir.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { loadBackbone } from '../../src/runtime/train/backbone.js';
import { runPrototypes } from '../../src/runtime/transfer/prototype-run.js';

async function main(): Promise<void> {
    const dir = resolve(process.argv[2] ?? join(import.meta.dirname, '../../../shared/examples'));
    const name = process.argv[3] ?? 'digits_prototypes';
    const distance = process.argv[4] as 'cosine' | 'euclidean' | undefined;
    const backend = await chooseBackend(undefined, 'auto', (m) => console.error(m));
    console.error(`backend: ${backend}`);
    const set = await buildPlans([dir]);
    const base = set.experiments.get(name);
    if (!base) throw new Error(`no experiment ${name} in ${dir}`);
    const plan: ExperimentPlan = structuredClone(base);
    if (distance && plan.head.kind === 'prototypes') plan.head.distance = distance;
    const runsRoot = join(dir, 'runs');
    const depDirs = new Map<string, string>();
    for (const dep of plan.dependsOn) {
        let runDir = findUpToDate(runsRoot, dep, keyOf(dep, set.experiments));
        if (!runDir) {
            console.error(`training ${dep} first…`);
            const out = await runExperiment(set.experiments.get(dep)!, { plans: set.experiments, runsRoot, backend, backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: false });
            if (out.status !== 'completed') throw new Error(`${dep} ${out.status}: ${out.results.error?.message}`);
            runDir = out.runDir;
        }
        console.error(`${dep}: ${runDir}`);
        depDirs.set(dep, runDir);
    }
    const started = Date.now();
    const { model } = await loadBackbone(plan, { ...defaultBackboneLoaders(), experimentBackbone: async (d) => join(depDirs.get(d)!, 'backbone', 'model.json') }, false);
    const out = await runPrototypes(plan, model, { warn: (m) => console.error(`warning: ${m}`) });
    model.dispose();
    const distanceUsed = plan.head.kind === 'prototypes' ? plan.head.distance : '?';
    console.log(`${name} (${distanceUsed}), feature dim ${out.featureDim}, support images per class ${out.shots.join('/')}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const e of out.episodes) {
        console.log(`  episodes: ${e.episodes} × ${e.way}-way ${e.shot}-shot ${e.query}-query: accuracy ${e.accuracy.toFixed(4)} ± ${e.ci95.toFixed(4)} (95% CI; std ${e.std.toFixed(4)})`);
    }
    for (const [split, values] of Object.entries(out.metrics)) {
        if (split.startsWith('episodes')) continue;
        console.log(`  ${split}: ${Object.entries(values).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${(v as number).toFixed(4)}`).join(', ')}`);
    }
}

await main();
