// A real (tiny) sweep: a spec on the shipped clothing images at 8×8, two random trials of a
// 2×2 grid, each trained by the runtime's runExperiment into its own run folder; and choosing
// the sweep of the shipped sweep.graft from the command line's point of view.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlans } from '../../src/language/plan/build.js';
import { runExperiment } from '../../src/runtime/runs/runner.js';
import type { RunResults } from '../../src/runtime/runs/results.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { runSweep, type SweepRecord } from '../../src/runtime/sweep/run-sweep.js';
import { selectSweep } from '../../src/cli/sweep-command.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');
const dir = mkdtempSync(join(tmpdir(), 'graft-sweep-run-'));
const spec = join(dir, 'tiny.graft');

beforeAll(async () => {
    await tf.setBackend('cpu');
    writeFileSync(
        spec,
        `dataset tiny_fashion {
  source folder "${join(EXAMPLES, 'data/fashion5')}"
  image 8 x 8 grayscale
  split train 60%, val 20%, test 20% stratified
}

experiment tiny {
  data tiny_fashion
  backbone small_cnn filters 4
  head {
    pool average
    dropout 0.1
    output softmax
  }
  optimizer adam lr 1e-2
  train {
    epochs 1
    batch 64
  }
  evaluate on test
  metrics accuracy
  seed 2
}

sweep tiny_sweep of tiny {
  vary lr 1e-2, 1e-3
  vary dropout 0.1, 0.3
  trials 2 random
  objective max val_accuracy
}
`
    );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a real sweep', () => {
    it('runs each trial as a normal run and ranks them by val_accuracy', async () => {
        const sel = await selectSweep(spec, 'tiny_sweep');
        expect(sel?.sweep.sweep).toBe('tiny_sweep');
        // Without a name, a file that declares an experiment runs the experiment.
        expect(await selectSweep(spec)).toBeUndefined();
        expect(await selectSweep(spec, 'tiny')).toBeUndefined();
        const { sweep, plan, plans } = sel!;
        const runsRoot = join(dir, 'runs');
        const outcome = await runSweep(sweep, plan, {
            runsRoot,
            runTrial: (trialPlan) =>
                runExperiment(trialPlan, { plans: new Map([...plans, [trialPlan.experiment, trialPlan]]), runsRoot, backend: 'cpu', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: false })
        });
        expect(outcome.status).toBe('completed');
        expect(outcome.ranked).toHaveLength(2);
        for (const r of outcome.ranked) {
            expect(r.status).toBe('completed');
            const results = JSON.parse(readFileSync(join(r.runDir!, 'results.json'), 'utf8')) as RunResults;
            expect(results.metrics.val.accuracy).toBe(r.objective);
            // The trial's values are in the run's plan.json.
            const trialPlan = JSON.parse(readFileSync(join(r.runDir!, 'plan.json'), 'utf8'));
            expect(trialPlan.stages[0].optimizer.lr).toBe(r.trial.values.lr);
            const head = trialPlan.head.heads[0].layers.find((l: { kind: string }) => l.kind === 'dropout');
            expect(head.rate).toBe(r.trial.values.dropout);
        }
        const values = outcome.ranked.map((r) => r.objective!);
        expect(values[0]).toBeGreaterThanOrEqual(values[1]);
        const json = JSON.parse(readFileSync(join(outcome.sweepDir, 'sweep.json'), 'utf8')) as SweepRecord;
        expect(json.best).toBe(outcome.best?.trial.name);
        const md = readFileSync(join(outcome.sweepDir, 'sweep.md'), 'utf8');
        expect(md).toContain(`**Best trial: ${outcome.best?.trial.name}**`);
        expect(existsSync(join(outcome.sweepDir, 'sweep.csv'))).toBe(true);
    });

    it('the shipped sweep.graft (a file with only a sweep) selects its sweep of digits_transfer', async () => {
        const sel = await selectSweep(join(EXAMPLES, 'sweep.graft'));
        expect(sel?.sweep).toMatchObject({ sweep: 'digits_lr', experiment: 'digits_transfer', objective: { direction: 'max', monitor: 'val_accuracy' } });
        expect(sel?.plan.experiment).toBe('digits_transfer');
        const set = await buildPlans([EXAMPLES]);
        expect(set.sweeps.get('digits_lr')?.vary.map((v) => v.param)).toEqual(['lr', 'batch']);
    });
});
