// The results panel on what the runtime really writes for the transfer methods: tiny real runs
// (fashion5 and the scene images at 8×8, one epoch, the CPU backend) of a prototypes head with
// episodes, a two-head multi-task model, and a two-trial sweep — their results.json / sweep.json
// read back by the panel's readers (run-history.ts) and rendered by its section builders
// (panel/app/render-results.ts) on a fake DOM, asserting the text a user would see.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlans } from '../../../src/language/plan/build.js';
import type { ExperimentPlan } from '../../../src/core/plan/types.js';
import { runExperiment } from '../../../src/runtime/runs/runner.js';
import { defaultBackboneLoaders } from '../../../src/runtime/runs/weights-bridge.js';
import { runSweep } from '../../../src/runtime/sweep/run-sweep.js';
import { latestSweepDir, listRuns, loadRun, readRunResults } from '../../../src/extension/runs/run-history.js';
import { applyEvent, emptySnapshot } from '../../../src/extension/runs/run-state.js';
import { installFakeDom, text, type FakeNode } from '../../runs/fake-dom.js';

const DATA = join(import.meta.dirname, '../../../examples/data');
const dir = mkdtempSync(join(tmpdir(), 'graft-panel-transfer-'));
const runsRoot = join(dir, 'runs');
let plans: Map<string, ExperimentPlan>;
let sweepPlan: Awaited<ReturnType<typeof buildPlans>>['sweeps'] extends Map<string, infer S> ? S : never;

type Render = typeof import('../../../src/extension/panel/app/render-results.js');
let render: Render;

function run(name: string) {
    const plan = plans.get(name)!;
    return runExperiment(plan, { plans, runsRoot, backend: 'cpu', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: false });
}

/** The text of a rendered section, or '' when the renderer showed nothing. */
const shown = (n: HTMLElement | undefined): string => (n ? text(n as unknown as FakeNode) : '');

beforeAll(async () => {
    await tf.setBackend('cpu');
    writeFileSync(
        join(dir, 'tiny.graft'),
        `dataset clothes {
  source folder "${join(DATA, 'fashion5')}"
  image 8 x 8 grayscale
  split train 60%, val 20%, test 20% stratified
}

dataset scenes {
  source csv "${join(DATA, 'scenes/labels.csv')}" images "${join(DATA, 'scenes/images')}"
  task multi_label
  image 8 x 8 rgb
  split train 70%, val 15%, test 15%
}

experiment tiny_pretrain {
  data clothes
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
  metrics accuracy
  seed 2
}

experiment tiny_transfer {
  data clothes
  backbone tiny_pretrain
  freeze all
  head {
    pool average
    output softmax
  }
  optimizer adam lr 1e-2
  train {
    epochs 1
    batch 64
  }
  evaluate on test
  baseline scratch, random_features
  metrics accuracy
  seeds 1, 2
}

experiment tiny_prototypes {
  data clothes
  backbone tiny_pretrain
  head prototypes
  evaluate episodes 20 way 5 shot 1 query 5
  seed 2
}

experiment tiny_multitask {
  data scenes
  backbone small_cnn filters 4
  head tags {
    pool average
    output sigmoid labels "labels"
  }
  head count {
    pool average
    output softmax labels "count" weight 0.5
  }
  optimizer adam lr 1e-2
  train {
    epochs 1
    batch 64
  }
  evaluate on test
  metrics accuracy, map
  seed 5
}

sweep tiny_sweep of tiny_pretrain {
  vary lr 1e-2, 1e-3
  vary dropout 0.1, 0.3
  trials 2 random
  objective max val_accuracy
}
`
    );
    const set = await buildPlans([dir]);
    plans = set.experiments;
    expect([...set.planErrors.keys()]).toEqual([]);
    sweepPlan = set.sweeps.get('tiny_sweep')!;
    installFakeDom();
    render = await import('../../../src/extension/panel/app/render-results.js');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the results panel on real transfer-method runs', () => {
    it('shows a prototypes run’s episode accuracy with its 95% CI (and not as a metrics split)', async () => {
        const out = await run('tiny_prototypes');
        expect(out.status).toBe('completed');
        const raw = JSON.parse(readFileSync(join(out.runDir, 'results.json'), 'utf8'));
        const recorded = raw.metrics.episodes as { accuracy: number; ci95: number; std: number; episodes: number };
        expect(recorded.episodes).toBe(20);

        const view = readRunResults(out.runDir)!;
        expect(view.episodes).toMatchObject({ accuracy: recorded.accuracy, ci95: recorded.ci95, std: recorded.std, episodes: 20, way: 5, shot: 1, query: 5 });
        // The summary is its own section, not an `episodes` column of nonsense numbers in the table.
        expect(view.metrics.episodes).toBeUndefined();

        const section = shown(render.episodes(view));
        const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
        expect(section).toContain(`accuracy ${pct(recorded.accuracy)} ± ${pct(recorded.ci95)}`);
        expect(section).toContain('95% confidence interval');
        expect(section).toContain('20 episodes, 5-way, 1-shot, 5 queries per class');

        // The history line of the run names the episode accuracy.
        const [entry] = listRuns(runsRoot, 'tiny_prototypes');
        expect(entry?.headline).toEqual({ name: 'episode accuracy', value: recorded.accuracy });
    }, 30_000);

    it('shows each baseline’s gain with its spread over seeds, and says what each baseline is', async () => {
        const out = await run('tiny_transfer');
        expect(out.status).toBe('completed');
        const raw = JSON.parse(readFileSync(join(out.runDir, 'results.json'), 'utf8'));
        const spread = raw.seeds.transferGain.scratch.test.accuracy as { mean: number; std: number; n: number; significant: boolean };
        expect(spread.n).toBe(2);

        const snap = loadRun(out.runDir);
        const view = snap.results!;
        expect(view.seeds).toMatchObject({ values: [1, 2], completed: [1, 2] });
        expect(view.gains?.map((g) => g.against)).toEqual(['scratch', 'random_features']);
        expect(view.transferGain).toMatchObject({ against: 'scratch', value: raw.transferGain.scratch.test.accuracy, spread: { std: spread.std, n: 2 }, significant: spread.significant });
        expect(view.baselines?.map((b) => b.kind)).toEqual(['scratch', 'random_features']);

        const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
        const gain = shown(render.transferGain(view));
        expect(gain).toContain('Transfer gain vs. training from scratch');
        expect(gain).toContain(`± ${pct(spread.std)}`);
        expect(gain).toContain('against scratch (every layer trained from random weights)');
        expect(gain).toContain('against random features (the same freezing over a random backbone)');
        expect(gain).toContain(spread.significant ? 'over 2 seeds' : 'not significant over 2 seeds');
        expect(gain).not.toContain('One seed');

        const table = shown(render.metricsTable(view));
        expect(table).toContain('Mean ± spread (sample standard deviation) over 2 seeds (1, 2).');
        expect(table).toContain('scratch (test)');
        expect(table).toContain('random features (test)');
        const acc = raw.seeds.metrics.test.accuracy as { mean: number; std: number };
        expect(table).toContain(`${pct(acc.mean)} ± ${pct(acc.std)}`);

        // The curves are kept per seed and phase.
        expect(snap.seeds).toEqual([1, 2]);
        const keys = snap.series.filter((x) => !x.phase.startsWith('dependency')).map((x) => `${x.seed} ${x.phase}`);
        expect(keys).toEqual(['1 main', '1 baseline:scratch', '1 baseline:random_features', '2 main', '2 baseline:scratch', '2 baseline:random_features']);
    }, 60_000);

    it('shows one section per head of a multi-task run, with that head’s test metrics', async () => {
        const out = await run('tiny_multitask');
        expect(out.status).toBe('completed');
        const raw = JSON.parse(readFileSync(join(out.runDir, 'results.json'), 'utf8'));
        const test = raw.metrics.test as Record<string, number>;
        expect(Object.keys(test)).toEqual(expect.arrayContaining(['tags_map', 'count_accuracy']));

        const view = loadRun(out.runDir).results!;
        expect(view.heads?.map((hd) => hd.name)).toEqual(['tags', 'count']);
        expect(view.heads?.[0]?.metrics.map).toBe(test.tags_map);
        expect(view.heads?.[1]?.metrics.accuracy).toBe(test.count_accuracy);

        const sections = render.heads(view).map((s) => shown(s));
        expect(sections).toHaveLength(2);
        const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
        expect(sections[0]).toContain('Head: tags');
        expect(sections[0]).toContain(`map${pct(test.tags_map!)}`);
        expect(sections[1]).toContain('Head: count');
        expect(sections[1]).toContain(`accuracy${pct(test.count_accuracy!)}`);
        // Rates are percentages in the overall table too, head prefix or not.
        expect(shown(render.metricsTable(view))).toContain(`tags_map${pct(test.tags_map!)}`);
    }, 30_000);

    it('finds a sweep’s folder as the runtime writes it and shows its table sorted by the objective, best trial named', async () => {
        const started = Date.now();
        const outcome = await runSweep(sweepPlan, plans.get('tiny_pretrain')!, {
            runsRoot,
            runTrial: (trialPlan) =>
                runExperiment(trialPlan, { plans: new Map([...plans, [trialPlan.experiment, trialPlan]]), runsRoot, backend: 'cpu', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: false })
        });
        expect(outcome.status).toBe('completed');

        // What the extension's `Run sweep` does when the process ends: the newest sweep.json of this sweep.
        const sweepDir = latestSweepDir(runsRoot, 'tiny_sweep', started - 2000);
        expect(sweepDir).toBe(outcome.sweepDir);
        const record = JSON.parse(readFileSync(join(sweepDir!, 'sweep.json'), 'utf8'));

        const snap = loadRun(sweepDir!);
        expect(snap.experiment).toBe('tiny_sweep');
        expect(snap.status).toBe('completed');
        // from the trials' results.json: what "Run again" reruns
        expect(snap.specFile).toBe(join(dir, 'tiny.graft'));
        const sweep = snap.results!.sweep!;
        expect(sweep.objective).toEqual({ direction: 'max', monitor: 'val_accuracy' });
        const values = sweep.trials.map((t) => t.value!);
        expect(values).toEqual([...values].sort((a, b) => b - a));
        expect(sweep.trials.map((t) => t.name)).toEqual(outcome.ranked.map((r) => r.trial.name));
        const best = sweep.trials.find((t) => t.best)!;
        expect(best.name).toBe(record.best);

        const table = render.sweepTable(sweep)!;
        const all = shown(table);
        const b = outcome.best!;
        expect(all).toContain(`Sweep tiny_sweep of tiny_pretrain`);
        expect(all).toContain(`★ Best trial: ${b.trial.name} (lr ${b.trial.values.lr}, dropout ${b.trial.values.dropout}): val_accuracy ${(b.objective! * 100).toFixed(1)}%`);
        // Rows in rank order, the best one starred.
        const rows = ((table as unknown as FakeNode).children[2]!.children[1]!.children).map((r) => r.attrs['data-trial']);
        expect(rows).toEqual(outcome.ranked.map((r) => r.trial.name));

        // The sweep is in its own history (runs/<sweep>/), headed by the best trial's value.
        const [entry] = listRuns(runsRoot, 'tiny_sweep');
        expect(entry?.runDir).toBe(sweepDir);
        expect(entry?.headline?.value).toBe(b.objective);
    }, 30_000);

    it('keeps a live sweep’s snapshot on the sweep while its trials’ real events arrive', () => {
        // What `Run sweep` sees from `graft run --events`: each trial's own run events, in turn (the
        // trials' events.ndjson hold exactly those), never the sweep's folder.
        const sweepDir = latestSweepDir(runsRoot, 'tiny_sweep')!;
        const record = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')) as { trials: { name: string; runDir: string }[] };
        const byStart = record.trials.map((t) => t.runDir).sort();
        const snap = emptySnapshot('run-1', 'tiny_sweep');
        snap.sweep = 'tiny_sweep';
        snap.startedAt = new Date(Date.now() - 60_000).toISOString();
        let lastDir: string | undefined;
        for (const runDir of byStart) {
            for (const line of readFileSync(join(runDir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean)) applyEvent(snap, JSON.parse(line));
            expect(snap.experiment).toBe('tiny_sweep');
            expect(snap.runDir).toBe(runDir);
            // the curves are the current trial's only
            expect(snap.series[0]?.points).toHaveLength(1);
            lastDir = runDir;
        }
        expect(lastDir).toBeDefined();
        expect(snap.trial).toEqual({ experiment: 'tiny_pretrain', index: 2 });
        // …and the table is then found where the runtime put it, from the sweep's start time.
        expect(latestSweepDir(runsRoot, 'tiny_sweep', Date.parse(snap.startedAt))).toBe(sweepDir);
    });
});
