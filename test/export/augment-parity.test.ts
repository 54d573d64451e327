// The exported script trains on Graft's own batches: the same images in the same order, augmented
// with the same draws (a port of Graft's PRNG, flip/rotate/shift/zoom/brightness/contrast/noise).
// Compares Graft's augmented training batch with the one train.py builds for the same epoch and
// batch index. Needs Debian's python3-torch (grid_sample).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/runtime/data/index.js';
import { exportExperiment } from '../../src/runtime/export/export.js';
import { pytorchTarget } from '../../src/runtime/export/pytorch/target.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const FASHION = join(import.meta.dirname, '../../examples/data/fashion5');

const SPEC = `dataset shoes {
  source folder "${FASHION}"
  image 28 x 28 grayscale
  normalize symmetric
  split train 60%, val 20%, test 20% stratified
  augment {
    flip horizontal
    rotate 12
    shift 0.1
    zoom 0.15
    brightness 0.2
    contrast 0.3
    noise 0.05
  }
}

experiment aug {
  data shoes
  backbone small_cnn filters 4
  head {
    pool average
    output softmax
  }
  train {
    epochs 1
    batch 8
  }
  seed 5
}
`;

let dir: string;
beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'graft-augment-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasTorch)(`train.py augments like Graft${hasTorch ? '' : ` (skipped: ${PYTHON} cannot import torch)`}`, () => {
    it('the same images, order and augmentation for a global batch, split over 2 ranks', async () => {
        const spec = join(dir, 'spec.graft');
        writeFileSync(spec, SPEC);
        const out = join(dir, 'project');
        const { ctx } = await exportExperiment({ file: spec, experiment: 'aug', target: pytorchTarget, out, warn: () => undefined, selectPlan });
        const ds = await loadDataset(ctx.plan.data, { seed: ctx.plan.seed });
        const epoch = 100001; // stage 1, epoch 1, as the trainer numbers them
        let graft: Float32Array | undefined;
        let shape: number[] = [];
        for await (const b of ds.batches('train', { batchSize: 8, epoch, shuffle: true, augment: true })) {
            if (b.index === 2) {
                graft = (await b.xs.data()) as Float32Array;
                shape = b.xs.shape;
            }
            b.dispose();
        }
        await ds.close();
        expect(graft).toBeDefined();
        const code = [
            'import json, sys, numpy as np, torch',
            `g = {"__file__": ${JSON.stringify(join(out, 'train.py'))}, "__name__": "graft_export_check"}`,
            `exec(compile(open(g["__file__"]).read(), "train.py", "exec"), g)`,
            'x, y = g["load_split"]("train")',
            `glob = g["global_batches"](x.shape[0], 8, ${epoch})[2]`,
            `draws = g["draw_augment"](len(glob), 28, 28, ${epoch}, 2)`,
            'parts = []',
            'for rank in range(2):',
            '    rows = g["rank_share"](len(glob), rank, 2)',
            '    parts.append(g["prepare"](x[[glob[i] for i in rows]], draws, rows))',
            'print(json.dumps(torch.cat(parts).permute(0, 2, 3, 1).flatten().tolist()))'
        ].join('\n');
        const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', maxBuffer: 64 << 20 });
        expect(r.stderr).toBe('');
        const mine = JSON.parse(r.stdout) as number[];
        expect(mine.length).toBe(shape.reduce((a, b) => a * b, 1));
        const diffs = mine.map((v, i) => Math.abs(v - graft![i])).sort((a, b) => a - b);
        // Bilinear sampling in two libraries: equal to float rounding almost everywhere.
        expect(diffs[Math.floor(diffs.length * 0.99)]).toBeLessThan(1e-4);
        expect(diffs[diffs.length - 1]).toBeLessThan(0.02);
    });
});
