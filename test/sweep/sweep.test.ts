// Sweep expansion, applying trial values to a plan, and the results table. The runner is a fake
// here (deterministic metrics from the trial's values) so that only the table logic is tested;
// sweep-run.test.ts runs real trials.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExperimentPlan, SweepPlan } from '../../src/core/plan/types.js';
import { applyTrial } from '../../src/runtime/sweep/apply.js';
import { runSweep, type SweepRecord, type TrialOutcome } from '../../src/runtime/sweep/run-sweep.js';
import { objectiveValue, rankTrials, type TrialRecord } from '../../src/runtime/sweep/table.js';
import { expandTrials, gridSize, SweepError } from '../../src/runtime/sweep/trials.js';
import { stage, tinyPlan } from '../train/helpers.js';

const at = { file: '/spec/sweep.graft', line: 3, column: 1 };

function sweep(partial: Partial<SweepPlan> = {}): SweepPlan {
    return {
        planVersion: 1, sweep: 'grid', at, experiment: 'tiny',
        vary: [{ param: 'lr', values: [1e-2, 3e-3, 1e-3] }, { param: 'batch', values: [8, 16] }],
        objective: { direction: 'max', monitor: 'val_accuracy' },
        ...partial
    };
}

describe('trials', () => {
    it('the full grid, first vary slowest', () => {
        const t = expandTrials(sweep(), 1);
        expect(t.map((x) => x.name)).toEqual(['t01', 't02', 't03', 't04', 't05', 't06']);
        expect(t.map((x) => [x.values.lr, x.values.batch])).toEqual([[1e-2, 8], [1e-2, 16], [3e-3, 8], [3e-3, 16], [1e-3, 8], [1e-3, 16]]);
        expect(Object.keys(t[0].values)).toEqual(['lr', 'batch']);
    });
    it('random trials: n distinct grid points, seeded, in grid order', () => {
        const s = sweep({ vary: [{ param: 'lr', values: [1, 2, 3, 4] }, { param: 'batch', values: [1, 2, 3] }, { param: 'dropout', values: [0, 0.5] }], trials: 5 });
        expect(gridSize(s)).toBe(24);
        const a = expandTrials(s, 4);
        expect(a).toHaveLength(5);
        expect(new Set(a.map((t) => t.gridIndex)).size).toBe(5);
        expect(a.map((t) => t.gridIndex)).toEqual([...a.map((t) => t.gridIndex)].sort((x, y) => x - y));
        expect(expandTrials(s, 4)).toEqual(a);
        expect(expandTrials(s, 5).map((t) => t.gridIndex)).not.toEqual(a.map((t) => t.gridIndex));
        expect(expandTrials({ ...s, trials: 100 }, 4)).toHaveLength(24);
    });
    it('rejects a parameter varied twice', () => {
        expect(() => expandTrials(sweep({ vary: [{ param: 'lr', values: [1] }, { param: 'lr', values: [2] }] }), 1)).toThrow(SweepError);
    });
});

describe('applying a trial', () => {
    const twoStages = (): ExperimentPlan =>
        tinyPlan({
            stages: [
                stage({ optimizer: { kind: 'adam', lr: 1e-3 } }),
                stage({ name: 'finetune', optimizer: { kind: 'sgd', lr: 1e-4, momentum: 0.9, nesterov: false }, backboneLr: 1e-5, epochs: 3 })
            ]
        });

    it('lr: the first stage gets the value, later stages keep their ratio (and their backbone lr its ratio)', () => {
        const p = applyTrial(twoStages(), { lr: 1e-2 }, at);
        expect(p.stages[0].optimizer.lr).toBeCloseTo(1e-2, 12);
        expect(p.stages[1].optimizer.lr).toBeCloseTo(1e-3, 12);
        expect(p.stages[1].backboneLr).toBeCloseTo(1e-4, 12);
    });
    it('never changes the original plan', () => {
        const plan = twoStages();
        const before = JSON.stringify(plan);
        applyTrial(plan, { lr: 0.5, batch: 4, dropout: 0.4, seed: 3 }, at);
        expect(JSON.stringify(plan)).toBe(before);
    });
    it('batch, epochs, seed, momentum, backbone_lr, smoothing, dropout', () => {
        const p = applyTrial(twoStages(), { batch: 4, epochs: 5, seed: 12, momentum: 0.5, backbone_lr: 2e-3, smoothing: 0.2, dropout: 0.4 }, at);
        expect(p.stages.map((s) => [s.batch, s.epochs])).toEqual([[4, 5], [4, 5]]);
        expect(p.seed).toBe(12);
        expect(p.stages[1].optimizer).toMatchObject({ kind: 'sgd', momentum: 0.5 });
        // first stage: no backbone lr (= its lr 1e-3) → 2e-3; second: 1e-5 / 1e-3 of that
        expect(p.stages[0].backboneLr).toBeCloseTo(2e-3, 12);
        expect(p.stages[1].backboneLr).toBeCloseTo(2e-5, 12);
        const head = p.head.kind === 'output' ? p.head.heads[0] : undefined;
        expect(head?.loss).toEqual({ kind: 'crossentropy', smoothing: 0.2 });
        expect(head?.layers.find((l) => l.kind === 'dropout')).toEqual({ kind: 'dropout', rate: 0.4 });
    });
    it('errors name the sweep line when a value cannot apply', () => {
        const noDropout = tinyPlan({ head: { kind: 'output', heads: [{ name: 'main', at, layers: [{ kind: 'pool', mode: 'average' }], activation: 'softmax', weight: 1, loss: { kind: 'crossentropy', smoothing: 0 } }] } });
        expect(() => applyTrial(noDropout, { dropout: 0.3 }, at)).toThrow(/has no dropout layer/);
        expect(() => applyTrial(tinyPlan(), { decay: 0.1 }, at)).toThrow(/no stage of tiny uses adamw/);
        expect(() => applyTrial(tinyPlan(), { momentum: 0.1 }, at)).toThrow(/sgd or rmsprop/);
        expect(() => applyTrial(tinyPlan(), { batch: 2.5 }, at)).toThrow(/positive whole number/);
        expect(() => applyTrial(tinyPlan(), { warmup: 1 }, at)).toThrow(/not a sweep parameter/);
        try {
            applyTrial(tinyPlan(), { lr: 2 }, at);
        } catch (err) {
            expect((err as SweepError).at).toEqual(at);
        }
    });
});

describe('objective and ranking', () => {
    const rec = (name: string, val: number | undefined, status = 'completed'): TrialRecord => ({
        trial: { name, gridIndex: 0, values: {} },
        status,
        metrics: val === undefined ? {} : { val: { accuracy: val, f1_macro: val / 2, loss: 1 - val } }
    });
    it('reads <split>_<metric>, also a metric stored with its averaging', () => {
        const m = { val: { accuracy: 0.8, f1_macro: 0.7, loss: 0.3, confusion: [[1]] } };
        expect(objectiveValue(m, 'val_accuracy')).toBe(0.8);
        expect(objectiveValue(m, 'val_f1')).toBe(0.7);
        expect(objectiveValue(m, 'val_loss')).toBe(0.3);
        expect(objectiveValue(m, 'test_accuracy')).toBeUndefined();
        expect(objectiveValue(m, 'val_confusion')).toBeUndefined();
    });
    it('max: best first; missing values and failures last in trial order; ties keep trial order', () => {
        const r = rankTrials([rec('t1', 0.5), rec('t2', undefined), rec('t3', 0.9), rec('t4', 0.9), rec('t5', 0.95, 'failed'), rec('t6', 0.7)], { direction: 'max', monitor: 'val_accuracy' });
        expect(r.map((x) => x.trial.name)).toEqual(['t3', 't4', 't6', 't1', 't2', 't5']);
        expect(r.map((x) => x.rank)).toEqual([1, 2, 3, 4, undefined, undefined]);
    });
    it('min: smallest first', () => {
        const r = rankTrials([rec('t1', 0.5), rec('t2', 0.9), rec('t3', 0.7)], { direction: 'min', monitor: 'val_loss' });
        expect(r.map((x) => x.trial.name)).toEqual(['t2', 't3', 't1']);
    });
});

describe('runSweep with a fake trainer', () => {
    const root = mkdtempSync(join(tmpdir(), 'graft-sweep-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('runs every trial on its own plan and writes a sorted table naming the best trial', async () => {
        const seen: { lr: number; batch: number }[] = [];
        const outcome = await runSweep(sweep(), tinyPlan(), {
            runsRoot: root,
            now: () => new Date('2026-01-02T03:04:05Z'),
            runTrial: async (plan, trial): Promise<TrialOutcome> => {
                seen.push({ lr: plan.stages[0].optimizer.lr, batch: plan.stages[0].batch });
                if (trial.name === 't04') return { status: 'failed', runDir: join(root, 'tiny', trial.name), results: { metrics: {}, error: { message: 'NaN loss' } } };
                // Deterministic fake metric: best at lr 3e-3, batch 16.
                const acc = 0.9 - Math.abs(Math.log10(plan.stages[0].optimizer.lr / 3e-3)) * 0.2 - (plan.stages[0].batch === 8 ? 0.05 : 0);
                return { status: 'completed', runDir: join(root, 'tiny', trial.name), results: { metrics: { val: { accuracy: acc, loss: 1 - acc }, test: { accuracy: acc - 0.01 } }, seconds: 2 } };
            }
        });
        expect(seen).toEqual([{ lr: 1e-2, batch: 8 }, { lr: 1e-2, batch: 16 }, { lr: 3e-3, batch: 8 }, { lr: 3e-3, batch: 16 }, { lr: 1e-3, batch: 8 }, { lr: 1e-3, batch: 16 }]);
        expect(outcome.sweepDir).toBe(join(root, 'grid', '20260102-030405'));
        // t04 (the best point) failed, so t03 (3e-3, batch 8: 0.85) wins.
        expect(outcome.best?.trial.name).toBe('t03');
        expect(outcome.ranked.map((r) => r.trial.name)).toEqual(['t03', 't06', 't02', 't05', 't01', 't04']);

        const csv = readFileSync(join(outcome.sweepDir, 'sweep.csv'), 'utf8').trim().split('\r\n');
        expect(csv[0]).toBe('rank,trial,lr,batch,val_accuracy,status,seconds,test_accuracy,val_loss,run_dir,error');
        expect(csv[1].startsWith('1,t03,0.003,8,0.85')).toBe(true);
        expect(csv[6]).toContain(',t04,');
        expect(csv[6]).toContain('failed');
        expect(csv[6].endsWith('NaN loss')).toBe(true);

        const md = readFileSync(join(outcome.sweepDir, 'sweep.md'), 'utf8');
        expect(md).toContain('**Best trial: t03** (lr 0.003, batch 8): val_accuracy 0.8500');
        expect(md).toContain('| rank | trial | lr | batch | val_accuracy | test_accuracy | status | seconds | run |');
        expect(md).toContain('| – | t04 | 0.003 | 16 |  |  | failed: NaN loss |');

        const json = JSON.parse(readFileSync(join(outcome.sweepDir, 'sweep.json'), 'utf8')) as SweepRecord;
        expect(json.status).toBe('completed');
        expect(json.best).toBe('t03');
        expect(json.trials).toHaveLength(6);
    });

    it('stops at a cancelled trial and keeps the table so far', async () => {
        let calls = 0;
        const outcome = await runSweep(sweep(), tinyPlan(), {
            runsRoot: root,
            runTrial: async (_plan, trial) => {
                calls++;
                return { status: trial.name === 't02' ? 'cancelled' : 'completed', runDir: join(root, trial.name), results: { metrics: { val: { accuracy: 0.5 } } } };
            }
        });
        expect(calls).toBe(2);
        expect(outcome.status).toBe('cancelled');
        const json = JSON.parse(readFileSync(join(outcome.sweepDir, 'sweep.json'), 'utf8')) as SweepRecord;
        expect(json.status).toBe('cancelled');
        expect(json.trials.map((t) => t.name)).toEqual(['t01', 't02']);
    });

    it('fails before running anything when a value cannot apply', async () => {
        let calls = 0;
        await expect(
            runSweep(sweep({ vary: [{ param: 'decay', values: [0.1] }] }), tinyPlan(), { runsRoot: root, runTrial: async () => { calls++; throw new Error('unreachable'); } })
        ).rejects.toThrow(/decay/);
        expect(calls).toBe(0);
    });
});
