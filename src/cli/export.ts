// `graft export <file> --experiment NAME --to pytorch|keras [--out DIR] [--run RUN_DIR] [--runs-dir D] [--seed N]`:
// writes a self-contained project that trains the same plan on another engine (docs/export.md).
// Exit codes: 0 written, 1 the spec cannot be exported (each reason with its spec line),
// 2 usage or I/O problems.

import { parseArgs } from 'node:util';
import { displayPath } from './cli-input.js';
import type { ExportTarget } from '../runtime/export/types.js';

const HELP = `usage: graft export <file.graft> [--experiment NAME] --to pytorch|keras [--out DIR] [--run RUN_DIR] [--runs-dir DIR] [--seed N]

Writes a self-contained project (script, requirements, README, data, split, initial weights)
that trains the experiment's plan on another engine and records its run in Graft's runs folder.

  --to T        the engine: pytorch (DistributedDataParallel under torchrun) or keras
                (tf.distribute MirroredStrategy / MultiWorkerMirroredStrategy)
  --out DIR     the project folder (default: export/<experiment>-<target> next to the spec)
  --run DIR     a Graft run of the experiment whose splits.json the export must match
                (default: the newest local run of the same seed, when there is one)
  --runs-dir D  Graft's runs folder: where \`backbone <experiment>\` runs are found and the
                exported script writes its run (default: runs/ next to the spec)
  --seed N      export this seed instead of the spec's
See docs/export.md for what does not translate.`;

const TARGETS: Record<string, () => Promise<ExportTarget>> = {
    pytorch: async () => (await import('../runtime/export/pytorch/target.js')).pytorchTarget,
    keras: async () => (await import('../runtime/export/keras/target.js')).kerasTarget
};

export async function exportCommand(args: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args,
            allowPositionals: true,
            options: {
                experiment: { type: 'string' },
                to: { type: 'string' },
                out: { type: 'string' },
                run: { type: 'string' },
                'runs-dir': { type: 'string' },
                seed: { type: 'string' },
                help: { type: 'boolean', short: 'h', default: false }
            }
        });
    } catch (err) {
        console.error(`graft export: ${(err as Error).message}\n\n${HELP}`);
        return 2;
    }
    const v = parsed.values;
    if (v.help) {
        console.log(HELP);
        return 0;
    }
    if (parsed.positionals.length !== 1) {
        console.error(`graft export: give exactly one .graft file\n\n${HELP}`);
        return 2;
    }
    if (!v.to) {
        console.error(`graft export: say which engine with --to (${Object.keys(TARGETS).join(', ')})`);
        return 2;
    }
    const load = TARGETS[v.to];
    if (!load) {
        console.error(`graft export: unknown target '${v.to}' (targets: ${Object.keys(TARGETS).join(', ')})`);
        return 2;
    }
    let seed: number | undefined;
    if (v.seed !== undefined) {
        seed = Number(v.seed);
        if (!Number.isInteger(seed) || seed < 0) {
            console.error(`graft export: --seed takes a whole number ≥ 0, not '${v.seed}'`);
            return 2;
        }
    }
    const { exportExperiment } = await import('../runtime/export/export.js');
    const { ExportRefused } = await import('../runtime/export/refusals.js');
    const { PlanSelectionError, selectPlan } = await import('../language/plan/workspace-plans.js');
    try {
        const outcome = await exportExperiment({
            file: parsed.positionals[0],
            experiment: v.experiment,
            target: await load(),
            out: v.out,
            run: v.run,
            runsDir: v['runs-dir'],
            seed,
            warn: (m) => console.error(m),
            selectPlan
        });
        const ctx = outcome.ctx;
        console.error(`exported ${ctx.plan.experiment} (seed ${ctx.plan.seed}) to ${v.to} → ${displayPath(outcome.outDir)}`);
        console.error(`  data: ${ctx.splits.map((s) => `${s.split} ${s.count}`).join(', ')} images; split ${ctx.splitSource}`);
        console.error(`  weights: ${ctx.weightsSource}`);
        const runIt = load === TARGETS.keras
            ? 'python3 train.py   (MirroredStrategy; TF_CONFIG for several machines, see README.md)'
            : "torchrun --nproc_per_node 2 train.py   (Debian's torch 1.13: torchrun --redirects 1 --tee 1 …, see README.md)";
        console.error(`  run it: cd ${displayPath(outcome.outDir)} && ${runIt}`);
        return 0;
    } catch (err) {
        if (err instanceof ExportRefused || err instanceof PlanSelectionError) {
            console.error(err.message);
            return 1;
        }
        throw err;
    }
}
