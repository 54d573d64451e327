// Honest baselines and spread over seeds, through the real runner on the shipped fashion5 images
// (8×8, a 2-block small_cnn, a couple of epochs): `baseline scratch` trains every layer from random
// weights while `random_features` keeps the experiment's freezing; `seeds 1, 2` runs everything
// once per seed and reports mean ± spread, with the gain's significance; a cancelled multi-seed run
// resumes without redoing the seeds it finished.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runtime/runs/events.js';
import type { RunResults } from '../../src/runtime/runs/results.js';
import { runExperiment, type RunOutcome } from '../../src/runtime/runs/runner.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';
import { runSummary } from '../../src/cli/run-summary.js';
import { FASHION } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'graft-baselines-'));
const spec = join(dir, 'baselines.graft');
writeFileSync(
    spec,
    `dataset tiny {
  source folder "${FASHION}"
  image 8 x 8 grayscale
  split train 60%, val 20%, test 20% stratified
}

experiment tiny_pretrain {
  data tiny
  backbone small_cnn filters 4, 8
  head {
    pool average
    output softmax
  }
  optimizer adam lr 1e-2
  train {
    epochs 2
    batch 32
  }
  seed 5
}

experiment tiny_transfer {
  data tiny
  backbone tiny_pretrain
  freeze all
  head {
    pool average
    dense 8 relu
    output softmax
  }
  optimizer adam lr 1e-2
  backbone lr 1e-4
  train {
    epochs 2
    batch 32
  }
  stage tune {
    unfreeze last 1 blocks
    optimizer adam lr 1e-3
    epochs 1
  }
  evaluate on test
  baseline scratch, random_features
  metrics accuracy, f1 macro
  seeds 1, 2
}
`
);
const scratchDirs = [dir];
const tempRuns = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'graft-baselines-runs-'));
    scratchDirs.push(d);
    return d;
};
afterAll(() => {
    for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

const read = (path: string): RunResults => JSON.parse(readFileSync(path, 'utf8')) as RunResults;

async function run(runsRoot: string, opts: { resume?: boolean; cancelWhen?: (e: RunEvent) => boolean } = {}): Promise<{ outcome: RunOutcome; events: RunEvent[] }> {
    const { plan, plans } = await selectPlan(spec, 'tiny_transfer');
    const events: RunEvent[] = [];
    let cancelled = false;
    const outcome = await runExperiment(
        plan,
        { plans, runsRoot, backend: 'wasm', backboneLoaders: defaultBackboneLoaders(), cancelled: () => cancelled },
        { events: false, resume: opts.resume ?? false, listeners: [(e) => { events.push(e); if (opts.cancelWhen?.(e)) cancelled = true; }] }
    );
    return { outcome, events };
}

describe('baselines and seeds', () => {
    const runsRoot = join(dir, 'runs');
    let outcome: RunOutcome;
    let events: RunEvent[];
    beforeAll(async () => {
        ({ outcome, events } = await run(runsRoot));
    }, 240_000);

    it('the plan lists both baselines and the seeds', async () => {
        const { plan } = await selectPlan(spec, 'tiny_transfer');
        expect(plan.baselines).toEqual(['scratch', 'random_features']);
        expect(plan.seeds).toEqual([1, 2]);
        expect(plan.seed).toBe(1);
    });

    it('completes every seed, each in its own complete run folder', () => {
        expect(outcome.results.error).toBeUndefined();
        expect(outcome.status).toBe('completed');
        const s = outcome.results.seeds!;
        expect(s.values).toEqual([1, 2]);
        expect(s.runs.map((r) => [r.seed, r.status])).toEqual([[1, 'completed'], [2, 'completed']]);
        for (const r of s.runs) {
            expect(r.runDir).toBe(join(outcome.runDir, `seed-${r.seed}`));
            for (const f of ['results.json', 'splits.json', 'model/model.json', 'backbone/model.json']) expect(existsSync(join(r.runDir, f)), f).toBe(true);
            expect(read(join(r.runDir, 'results.json')).seed).toBe(r.seed);
        }
        // The run itself has a model and backbone (the first seed's) for dependents and exports.
        expect(existsSync(join(outcome.runDir, 'backbone', 'model.json'))).toBe(true);
    });

    it('`baseline scratch` leaves no layer frozen in any stage; random_features keeps the freezing', () => {
        for (const r of outcome.results.seeds!.runs) {
            const res = read(join(r.runDir, 'results.json'));
            const main = res.stages;
            const scratch = res.baselines!.scratch!.stages;
            const random = res.baselines!.random_features!.stages;
            // Every backbone layer that has weights: small_cnn [4, 8] has two conv+BN blocks.
            const all = ['block1_conv', 'block1_bn', 'block2_conv', 'block2_bn'];
            expect(main.map((s) => s.name)).toEqual(['train', 'tune']);
            expect(main[0].trainableLayers).toEqual([]);
            expect(random[0].trainableLayers).toEqual([]);
            // A random backbone's BatchNorm has no statistics to keep, so it trains where the layers do.
            expect(random[1].trainableLayers).toEqual(expect.arrayContaining(main[1].trainableLayers));
            expect(random[1].trainableLayers.filter((l) => !main[1].trainableLayers.includes(l))).toEqual(['block2_bn']);
            for (const st of scratch) expect([...st.trainableLayers].sort()).toEqual(all.sort());
            // Everything trains: the head's parameters plus every backbone parameter (BatchNorm's γ and β).
            expect(scratch[0].trainableParams).toBeGreaterThan(main[1].trainableParams);
            expect(scratch[0].trainableParams).toBe(scratch[1].trainableParams);
        }
    });

    it('reports every metric and every gain as mean ± spread, pairing each seed with its own baselines', () => {
        const r = outcome.results;
        const s = r.seeds!;
        const perSeed = s.runs.map((x) => read(join(x.runDir, 'results.json')));
        const acc = perSeed.map((p) => p.metrics.test.accuracy as number);
        expect(s.metrics.test.accuracy.values).toEqual(acc);
        expect(s.metrics.test.accuracy.mean).toBeCloseTo((acc[0] + acc[1]) / 2, 12);
        expect(s.metrics.test.accuracy.std).toBeCloseTo(Math.abs(acc[0] - acc[1]) / Math.SQRT2, 12);
        expect(r.metrics.test.accuracy).toBeCloseTo(s.metrics.test.accuracy.mean, 12);
        for (const kind of ['scratch', 'random_features'] as const) {
            const gains = perSeed.map((p) => (p.metrics.test.accuracy as number) - (p.baselines![kind]!.metrics.test.accuracy as number));
            const g = s.transferGain![kind]!.test.accuracy;
            expect(g.values.map((v) => v.toFixed(10))).toEqual(gains.map((v) => v.toFixed(10)));
            expect(r.transferGain![kind]!.test.accuracy).toBeCloseTo(g.mean, 12);
            expect(g.significant).toBe(Math.abs(g.mean) > g.std);
            expect(s.baselines![kind]!.test.accuracy.values).toEqual(perSeed.map((p) => p.baselines![kind]!.metrics.test.accuracy));
        }
    });

    it('events tag each seed; the summary names the baselines and the spread', () => {
        const start = events.find((e): e is Extract<RunEvent, { type: 'run-start' }> => e.type === 'run-start')!;
        expect(start.seeds).toEqual([1, 2]);
        expect(new Set(start.stages.map((st) => st.seed))).toEqual(new Set([1, 2]));
        expect(start.stages.filter((st) => st.seed === 2).map((st) => `${st.phase} ${st.name}`)).toEqual([
            'main train', 'main tune', 'baseline:scratch train', 'baseline:scratch tune', 'baseline:random_features train', 'baseline:random_features tune'
        ]);
        const epochs = events.filter((e): e is Extract<RunEvent, { type: 'epoch' }> => e.type === 'epoch' && e.phase !== 'dependency:tiny_pretrain');
        expect(epochs.filter((e) => e.seed === 1)).toHaveLength(epochs.filter((e) => e.seed === 2).length);
        expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'completed' });

        const lines = runSummary(outcome.results, outcome.status, outcome.runDir);
        expect(lines[1]).toBe('  over 2 seeds (1, 2): mean ± spread (sample standard deviation)');
        expect(lines.find((l) => l.startsWith('  test:'))).toMatch(/accuracy \d\.\d{4} ± \d\.\d{4}/);
        expect(lines.some((l) => l.startsWith('  transfer gain vs scratch (every layer trained from random weights) on test: accuracy '))).toBe(true);
        expect(lines.some((l) => l.startsWith('  gain vs random_features (the same freezing over a random backbone) on test: '))).toBe(true);
        const g = outcome.results.seeds!.transferGain!.scratch!.test.accuracy;
        const gainLine = lines.find((l) => l.includes('vs scratch') && l.includes(' on test: '))!;
        expect(gainLine.includes('(not significant)')).toBe(g.significant === false);
        for (const l of lines) expect(l).not.toMatch(/undefined|NaN|\[object Object\]/);
    });

    it('a single-seed run says that no spread was measured', async () => {
        const { outcome: one } = await (async () => {
            const { plan, plans } = await selectPlan(spec, 'tiny_transfer');
            const single = { ...plan, seeds: undefined, baselines: ['scratch' as const] };
            return { outcome: await runExperiment(single, { plans, runsRoot: tempRuns(), backend: 'wasm', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: false }) };
        })();
        expect(one.status).toBe('completed');
        expect(one.results.seeds).toBeUndefined();
        const lines = runSummary(one.results, one.status, one.runDir);
        expect(lines.at(-1)).toMatch(/^ {2}one seed: no spread measured/);
    }, 240_000);

    it('a cancelled multi-seed run keeps the finished seed and --resume runs only the rest', async () => {
        const root = tempRuns();
        const first = await run(root, { cancelWhen: (e) => e.type === 'stage-start' && e.seed === 2 });
        expect(first.outcome.status).toBe('cancelled');
        const s = first.outcome.results.seeds!;
        expect(s.runs.map((r) => [r.seed, r.status])).toEqual([[1, 'completed'], [2, 'cancelled']]);
        // What finished is summarised already.
        expect(s.metrics.test.accuracy.n).toBe(1);
        const again = await run(root, { resume: true });
        expect(again.outcome.status).toBe('completed');
        expect(again.outcome.runDir).toBe(first.outcome.runDir);
        const logs = again.events.filter((e): e is Extract<RunEvent, { type: 'log' }> => e.type === 'log').map((e) => e.message);
        expect(logs.some((m) => /seed 1: completed before; reusing/.test(m))).toBe(true);
        // Seed 1 did not train again: no epoch of it in the resumed run's events.
        expect(again.events.some((e) => e.type === 'epoch' && e.seed === 1)).toBe(false);
        expect(again.outcome.results.seeds!.runs.map((r) => r.status)).toEqual(['completed', 'completed']);
        expect(again.outcome.results.seeds!.metrics.test.accuracy.n).toBe(2);
    }, 240_000);
});
