// The results.json contract end to end: an exported project run by Python (one process) records
// its run in Graft's format — the fields of RunResults, Graft's stage history and metrics, the
// `engine` field — and the results panel's history reader lists it with its engine as backend.
// Needs Debian's python3-torch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportExperiment } from '../../src/runtime/export/export.js';
import { pytorchTarget } from '../../src/runtime/export/pytorch/target.js';
import { listRuns } from '../../src/extension/runs/run-history.js';
import type { RunResults } from '../../src/runtime/runs/results.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const FASHION = join(import.meta.dirname, '../../examples/data/fashion5');

const SPEC = `dataset shoes {
  source folder "${FASHION}"
  image 28 x 28 grayscale
  normalize unit
  split train 60%, val 20%, test 20% stratified
}

experiment tiny {
  data shoes
  backbone small_cnn filters 4, 8
  head {
    pool average
    output softmax
  }
  loss crossentropy
  optimizer adam lr 3e-3
  train {
    epochs 2
    batch 32
    checkpoint best val_accuracy
  }
  evaluate on test
  metrics accuracy, f1 macro, confusion
  seed 4
}
`;

let dir: string;
beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'graft-results-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasTorch)(`an exported run's results.json${hasTorch ? '' : ` (skipped: ${PYTHON} cannot import torch)`}`, () => {
    it('is Graft\'s RunResults with an engine field, and the panel history lists it', async () => {
        const spec = join(dir, 'spec.graft');
        writeFileSync(spec, SPEC);
        const out = join(dir, 'project');
        const runs = join(dir, 'runs');
        await exportExperiment({ file: spec, experiment: 'tiny', target: pytorchTarget, out, runsDir: runs, warn: () => undefined, selectPlan });
        const r = spawnSync(PYTHON, ['train.py', '--threads', '1'], { cwd: out, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
        expect(r.status, r.stderr).toBe(0);
        const ids = readdirSync(join(runs, 'tiny'));
        expect(ids).toHaveLength(1);
        expect(ids[0]).toMatch(/^\d{8}-\d{6}(-\d+)?$/);
        const runDir = join(runs, 'tiny', ids[0]);
        for (const f of ['results.json', 'splits.json', 'plan.json', 'spec.graft', 'model/model.pt', 'model/labels.json']) expect(existsSync(join(runDir, f)), f).toBe(true);
        const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunResults;
        expect(results).toMatchObject({ experiment: 'tiny', runId: ids[0], status: 'completed', seed: 4, specFile: spec, classes: [['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']] });
        expect(results.engine).toMatchObject({ name: 'pytorch-ddp', worldSize: 1, device: 'cpu' });
        expect(results.engine!.samples!.train.total).toBe(300);
        expect(Date.parse(results.started)).toBeGreaterThan(0);
        expect(Date.parse(results.finished!)).toBeGreaterThanOrEqual(Date.parse(results.started));
        const stage = results.stages[0];
        expect(stage).toMatchObject({ phase: 'main', name: 'train', epochs: 2, epochsRun: 2, monitor: 'val_accuracy', trainableLayers: ['block1_conv', 'block1_bn', 'block2_conv', 'block2_bn'] });
        expect(stage.history.map((h) => Object.keys(h.metrics))).toEqual([0, 1].map(() => ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'val_f1_macro']));
        expect(stage.history[0].lr).toBeCloseTo(3e-3);
        const test = results.metrics.test;
        expect(Object.keys(test)).toEqual(['loss', 'accuracy', 'f1_macro', 'confusion']);
        const confusion = test.confusion as number[][];
        expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(100);
        expect(confusion.reduce((s, row, i) => s + row[i], 0) / 100).toBeCloseTo(test.accuracy as number, 10);
        const history = listRuns(runs, 'tiny');
        expect(history).toHaveLength(1);
        expect(history[0]).toMatchObject({ runId: ids[0], status: 'completed', backend: 'pytorch-ddp (1 process)', headline: { name: 'accuracy', value: test.accuracy } });
    });
});
