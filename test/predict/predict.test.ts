// The trained model as a user gets it: a real tiny run on the shipped fashion5 images writes a
// self-describing export (graft-model.json) and its test predictions (predictions.json); the
// export reloads with plain tf.loadLayersModel and, fed the test images through the preprocessing
// its metadata describes, gives the run's own predictions. Then `graft predict` as a process.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSample } from '../../src/runtime/data/index.js';
import { parseModelMetadata, type GraftModelMetadata } from '../../src/runtime/predict/model-metadata.js';
import { loadPredictor, predictFiles, preprocessImage } from '../../src/runtime/predict/predict.js';
import type { RunPredictions } from '../../src/runtime/runs/predictions-record.js';
import { exited, FASHION, graft, ROOT, tinySpec } from '../runs/fixtures.js';

const json = <T = Record<string, any>>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** A tiny IOHandler reading a tfjs layers model from disk: what a user without tfjs-node writes. */
function fileHandler(modelJson: string): tf.io.IOHandler {
    return {
        load: async () => {
            const m = json<{ modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] }>(modelJson);
            const dir = join(modelJson, '..');
            const buffers = m.weightsManifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dir, p))).buffer));
            return { modelTopology: m.modelTopology, weightSpecs: m.weightsManifest.flatMap((g) => g.weights), weightData: tf.io.concatenateArrayBuffers(buffers) };
        }
    };
}

/** Runs `graft <args>` to completion; resolves with its exit code and output. */
function graftOut(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = graft(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    return exited(child).then((code) => ({ code, stdout, stderr }));
}

let dir: string;
let spec: string;
let runDir: string;
let exportDir: string;
let meta: GraftModelMetadata;
let recorded: RunPredictions;

beforeAll(async () => {
    ({ dir, file: spec } = tinySpec(2));
    exportDir = join(dir, 'exported');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('  seed 5', `  export "${exportDir}"\n  seed 5`));
    const { code, stderr } = await graftOut(['run', spec, '--backend', 'wasm']);
    expect(code, stderr).toBe(0);
    const root = join(dir, 'runs', 'tiny_run');
    runDir = join(root, readdirSync(root)[0]);
    meta = parseModelMetadata(json(join(runDir, 'model', 'graft-model.json')), 'graft-model.json');
    recorded = json<RunPredictions>(join(runDir, 'predictions.json'));
});

afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the exported model describes itself', () => {
    it('graft-model.json records labels, input, normalisation, task, version and spec hash', () => {
        const pkg = json<{ version: string }>(join(ROOT, 'package.json'));
        expect(meta).toMatchObject({
            format: 'graft-model',
            version: 1,
            graft: pkg.version,
            model: 'model.json',
            experiment: 'tiny_run',
            dataset: 'tiny',
            seed: 5,
            runId: runDir.split(/[\\/]/).pop(),
            spec: { file: 'tiny.graft', sha256: createHash('sha256').update(readFileSync(spec)).digest('hex') },
            cacheKey: json(join(runDir, 'results.json')).cacheKey,
            input: { height: 8, width: 8, channels: 1, colorMode: 'grayscale', layout: 'NHWC', normalize: 'unit', scale: [1 / 255], offset: [0], decode: { resize: 'fill', autoOrient: true } },
            outputs: [{ head: 'main', layer: 'main_probabilities', task: 'single_label', activation: 'softmax', classes: ['bag', 'sandal', 'sneaker', 'trouser', 'tshirt'] }]
        });
        const modelJson = json(join(runDir, 'model', 'model.json'));
        expect(modelJson.modelTopology.config.output_layers.map((l: unknown[]) => l[0])).toEqual(meta.outputs.map((o) => o.layer));
        // The spec's `export "<dir>"` gets the same description.
        expect(json(join(exportDir, 'graft-model.json'))).toEqual(json(join(runDir, 'model', 'graft-model.json')));
    });

    it('graft-model.json and predictions.json validate against their published JSON Schema (docs/schema)', () => {
        const ajv = new Ajv({ allErrors: true, strict: false });
        for (const [schema, file] of [['graft-model.schema.json', join(runDir, 'model', 'graft-model.json')], ['predictions.schema.json', join(runDir, 'predictions.json')]]) {
            const validate = ajv.compile(json(join(ROOT, 'docs', 'schema', schema)));
            expect(validate(json(file)), `${schema}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        }
    });

    it('predictions.json holds every test image with its probabilities, truth and prediction', () => {
        const test = recorded.splits.test;
        const results = json(join(runDir, 'results.json'));
        expect(recorded).toMatchObject({ format: 'graft-predictions', version: 1, experiment: 'tiny_run', runId: results.runId });
        expect(test.keys).toHaveLength(100); // 20% of 500 images
        expect(json(join(runDir, 'splits.json')).datasets.tiny.splits.test.slice().sort()).toEqual(test.keys.slice().sort());
        const out = test.outputs[0];
        expect(out.probabilities).toHaveLength(100);
        for (const row of out.probabilities) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        const truth = out.truth as number[];
        const predicted = out.predicted as number[];
        expect(truth.map((t, i) => out.classes[t] === test.keys[i].split('/')[0]).every(Boolean)).toBe(true);
        const accuracy = predicted.filter((p, i) => p === truth[i]).length / truth.length;
        expect(accuracy).toBeCloseTo(results.metrics.test.accuracy, 10);
    });

    it('tf.loadLayersModel + the described preprocessing reproduce the run\'s test predictions', async () => {
        const model = await tf.loadLayersModel(fileHandler(join(exportDir, 'model.json')));
        const { input } = meta;
        const per = input.height * input.width * input.channels;
        const test = recorded.splits.test;
        const x = new Float32Array(test.keys.length * per);
        for (const [k, key] of test.keys.entries()) {
            const file = join(FASHION, key);
            const values = await preprocessImage(file, input);
            // The description alone is enough: decoded pixels · scale + offset are the same values.
            const px = await decodeSample({ kind: 'file', path: file }, input);
            expect(Array.from(values)).toEqual(Array.from(px, (v) => Math.fround(v * input.scale[0] + input.offset[0])));
            x.set(values, k * per);
        }
        const y = model.predict(tf.tensor4d(x, [test.keys.length, input.height, input.width, input.channels])) as tf.Tensor2D;
        const probs = (await y.array()) as number[][];
        y.dispose();
        model.dispose();
        const expected = test.outputs[0].probabilities;
        let worst = 0;
        probs.forEach((row, i) => row.forEach((p, j) => (worst = Math.max(worst, Math.abs(p - expected[i][j])))));
        expect(worst).toBeLessThan(1e-5);
        expect(probs.map((r) => r.indexOf(Math.max(...r)))).toEqual(test.outputs[0].predicted);
    });

    it('the runtime predictor gives the same probabilities from the run folder', async () => {
        const predictor = await loadPredictor(runDir);
        try {
            expect(predictor.folder.metadataFrom).toBe('graft-model.json');
            const test = recorded.splits.test;
            const { predictions, skipped } = await predictFiles(predictor, test.keys.map((k) => join(FASHION, k)), { top: 5, batchSize: 17 });
            expect(skipped).toEqual([]);
            expect(predictions).toHaveLength(100);
            predictions.forEach((p, i) => {
                p.outputs[0].probabilities.forEach((v, j) => expect(Math.abs(v - test.outputs[0].probabilities[i][j])).toBeLessThan(1e-5));
                expect(p.outputs[0].predicted).toEqual([meta.outputs[0].classes[(test.outputs[0].predicted as number[])[i]]]);
                expect(p.outputs[0].top.map((s) => s.probability)).toEqual([...p.outputs[0].probabilities].sort((a, b) => b - a));
            });
        } finally {
            predictor.dispose();
        }
    });

    it('a run folder without graft-model.json (older runs) is described from its plan and results', async () => {
        const old = join(dir, 'old-run');
        cpSync(runDir, old, { recursive: true });
        unlinkSync(join(old, 'model', 'graft-model.json'));
        const predictor = await loadPredictor(old);
        try {
            expect(predictor.folder.metadataFrom).toBe('run folder');
            const { created: _a, ...rebuilt } = predictor.metadata;
            const { created: _b, ...own } = meta;
            expect(rebuilt).toEqual(own);
        } finally {
            predictor.dispose();
        }
    });
});

describe('graft predict', () => {
    let images: string;
    const picked = ['bag/bag_train_0.jpg', 'sandal/sandal_train_1.png', 'trouser/trouser_train_2.png'];

    beforeAll(() => {
        images = join(dir, 'new-images');
        mkdirSync(join(images, 'nested'), { recursive: true });
        for (const p of picked) copyFileSync(join(FASHION, p), join(images, p.replace('/', '_')));
        copyFileSync(join(FASHION, 'sneaker/sneaker_train_4.png'), join(images, 'nested', 'sneaker.png'));
        // A truncated PNG (header intact, body cut), an empty JPEG and a text file.
        const png = readFileSync(join(FASHION, 'tshirt/tshirt_train_1.png'));
        writeFileSync(join(images, 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
        writeFileSync(join(images, 'empty.jpg'), '');
        writeFileSync(join(images, 'notes.txt'), 'not an image');
    });

    it('classifies a folder as JSON, skipping and naming the broken files (exit 1)', async () => {
        const { code, stdout, stderr } = await graftOut(['predict', runDir, images, '--format', 'json', '--top', '2', '--backend', 'wasm']);
        expect(code, stderr).toBe(1);
        const out = JSON.parse(stdout);
        expect(out.model).toMatchObject({ experiment: 'tiny_run', metadataFrom: 'graft-model.json' });
        const names = out.predictions.map((p: { file: string }) => p.file.slice(images.length + 1)).sort();
        expect(names).toEqual(['bag_bag_train_0.jpg', 'nested/sneaker.png', 'sandal_sandal_train_1.png', 'trouser_trouser_train_2.png']);
        for (const p of out.predictions) {
            expect(p.outputs[0].top).toHaveLength(2);
            expect(p.outputs[0].probabilities).toHaveLength(5);
        }
        const skipped = Object.fromEntries(out.skipped.map((s: { file: string; reason: string }) => [s.file.slice(images.length + 1), s.reason]));
        expect(Object.keys(skipped).sort()).toEqual(['empty.jpg', 'notes.txt', 'truncated.png']);
        expect(skipped['empty.jpg']).toMatch(/empty/);
        expect(skipped['truncated.png']).toMatch(/decode|image/i);
        expect(stderr).toMatch(/skipped .*truncated\.png/);
        expect(stderr).toMatch(/4 images classified, 3 files skipped/);
    });

    it('gives the run\'s own test prediction for a test image, as CSV from the exported folder', async () => {
        const test = recorded.splits.test;
        const key = test.keys[0];
        const { code, stdout, stderr } = await graftOut(['predict', exportDir, join(FASHION, key), '--format', 'csv', '--top', '5', '--backend', 'wasm']);
        expect(code, stderr).toBe(0);
        const lines = stdout.trim().split('\n');
        expect(lines[0]).toBe('file,output,rank,class,probability,predicted');
        expect(lines).toHaveLength(6);
        const rows = lines.slice(1).map((l) => l.split(','));
        const byClass = Object.fromEntries(rows.map((r) => [r[3], Number(r[4])]));
        test.outputs[0].classes.forEach((c, j) => expect(Math.abs(byClass[c] - test.outputs[0].probabilities[0][j])).toBeLessThan(1e-5));
        expect(rows[0][5]).toBe('true');
        expect(rows[0][3]).toBe(test.outputs[0].classes[(test.outputs[0].predicted as number[])[0]]);
    });

    it('prints a table, and refuses a folder that is not a model with what to do (exit 2)', async () => {
        const table = await graftOut(['predict', runDir, join(images, 'nested'), '--backend', 'wasm']);
        expect(table.code, table.stderr).toBe(0);
        expect(table.stdout).toMatch(/^file\s+top 3\n/);
        expect(table.stdout).toMatch(/sneaker\.png\s+\w+ \d+\.\d%, \w+ \d+\.\d%, \w+ \d+\.\d%/);
        const bad = await graftOut(['predict', images, join(images, 'nested')]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/no model\.json here.*give a run folder/);
        const usage = await graftOut(['predict', runDir]);
        expect(usage.code).toBe(2);
        expect(usage.stderr).toMatch(/usage: graft predict/);
    });
});
