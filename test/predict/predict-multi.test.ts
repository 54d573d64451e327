// The self-describing export and `graft predict` for a model with two outputs — multi-label tags
// (sigmoid, tuned thresholds) and a single-label count — on the shipped RGB scene images: the
// thresholds the run tuned are in graft-model.json, predictions.json's decisions follow them, and
// `graft predict` gives the run's probabilities and decisions for its own test images.
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraftModelMetadata } from '../../src/runtime/predict/model-metadata.js';
import type { RunPredictions } from '../../src/runtime/runs/predictions-record.js';
import { exited, graft } from '../runs/fixtures.js';

const SCENES = join(import.meta.dirname, '../../examples/data/scenes');
const json = <T = Record<string, any>>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

let dir: string;
let runDir: string;
let meta: GraftModelMetadata;
let recorded: RunPredictions;

function graftOut(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = graft(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    return exited(child).then((code) => ({ code, stdout, stderr }));
}

beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graft-predict-multi-'));
    writeFileSync(
        join(dir, 'scenes.graft'),
        `dataset scenes {
  source csv "${join(SCENES, 'labels.csv')}" images "${join(SCENES, 'images')}"
  task multi_label
  image 8 x 8 rgb
  normalize imagenet
  split train 70%, val 15%, test 15%
}

experiment tags_and_count {
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
    epochs 2
    batch 64
  }
  threshold tuned
  evaluate on test
  metrics accuracy, map
  seed 5
}
`
    );
    const { code, stderr } = await graftOut(['run', join(dir, 'scenes.graft'), '--backend', 'wasm']);
    expect(code, stderr).toBe(0);
    const root = join(dir, 'runs', 'tags_and_count');
    runDir = join(root, readdirSync(root)[0]);
    meta = json<GraftModelMetadata>(join(runDir, 'model', 'graft-model.json'));
    recorded = json<RunPredictions>(join(runDir, 'predictions.json'));
});

afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a two-output model (multi-label tags + count)', () => {
    it('graft-model.json describes both outputs, the RGB input with ImageNet statistics, and the tuned thresholds', () => {
        const results = json(join(runDir, 'results.json'));
        expect(meta.input).toMatchObject({ height: 8, width: 8, channels: 3, colorMode: 'rgb', normalize: 'imagenet', decode: { colourspace: 'srgb' } });
        expect(meta.input.scale.map((s) => s * 255)).toEqual([1 / 0.229, 1 / 0.224, 1 / 0.225].map((v) => expect.closeTo(v, 10)));
        expect(meta.input.offset).toEqual([-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225].map((v) => expect.closeTo(v, 10)));
        expect(meta.outputs.map((o) => [o.head, o.layer, o.task, o.activation, o.labelColumn])).toEqual([
            ['tags', 'tags_probabilities', 'multi_label', 'sigmoid', 'labels'],
            ['count', 'count_probabilities', 'single_label', 'softmax', 'count']
        ]);
        expect(meta.outputs[0].classes).toEqual(results.classes[0]);
        expect(meta.outputs[1].classes).toEqual(results.classes[1]);
        expect(meta.outputs[0].thresholds).toEqual(results.thresholds[0]);
        expect(meta.outputs[1].thresholds).toBeUndefined();
    });

    it('both files validate against their published JSON Schema (docs/schema)', () => {
        const ajv = new Ajv({ allErrors: true, strict: false });
        const root = join(import.meta.dirname, '../..');
        for (const [schema, file] of [['graft-model.schema.json', join(runDir, 'model', 'graft-model.json')], ['predictions.schema.json', join(runDir, 'predictions.json')]]) {
            const validate = ajv.compile(json(join(root, 'docs', 'schema', schema)));
            expect(validate(json(file)), `${schema}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        }
    });

    it('predictions.json decides each tag at its threshold', () => {
        const test = recorded.splits.test;
        const [tags, count] = test.outputs;
        expect(tags.thresholds).toEqual(meta.outputs[0].thresholds);
        tags.probabilities.forEach((row, i) => expect((tags.predicted as number[][])[i]).toEqual(row.flatMap((p, j) => (p >= tags.thresholds![j] ? [j] : []))));
        expect((tags.truth as number[][]).every((t) => t.length >= 1)).toBe(true); // every scene holds at least one item
        expect(count.probabilities).toHaveLength(test.keys.length);
    });

    it('graft predict gives the run\'s probabilities and decisions for its test images', async () => {
        const test = recorded.splits.test;
        const keys = test.keys.slice(0, 12);
        const { code, stdout, stderr } = await graftOut(['predict', runDir, ...keys.map((k) => join(SCENES, 'images', k)), '--format', 'json', '--top', '6', '--backend', 'wasm']);
        expect(code, stderr).toBe(0);
        const out = JSON.parse(stdout) as { predictions: { file: string; outputs: { head: string; probabilities: number[]; predicted: string[] }[] }[] };
        expect(out.predictions).toHaveLength(keys.length);
        out.predictions.forEach((p, i) => {
            expect(p.file.endsWith(keys[i])).toBe(true);
            p.outputs.forEach((o, h) => {
                const rec = test.outputs[h];
                o.probabilities.forEach((v, j) => expect(Math.abs(v - rec.probabilities[i][j])).toBeLessThan(1e-5));
                const decided = h === 0 ? (rec.predicted as number[][])[i] : [(rec.predicted as number[])[i]];
                expect([...o.predicted].sort()).toEqual(decided.map((j) => rec.classes[j]).sort());
            });
        });
        const table = await graftOut(['predict', runDir, join(SCENES, 'images', keys[0]), '--backend', 'wasm']);
        expect(table.code, table.stderr).toBe(0);
        expect(table.stdout).toMatch(/^file\s+outputs\n/);
        expect(table.stdout).toMatch(/tags: \[[^\]]*\] .*count: /);
    });
});
