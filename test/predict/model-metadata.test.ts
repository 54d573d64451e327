// graft-model.json as readers meet it: a valid description passes; a newer format, a damaged
// file, a folder without a model and a model whose files do not belong together are refused
// with the file and what to do — never a crash or a guess.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { saveLayersModel } from '../../src/runtime/runs/model-io.js';
import { loadPredictor } from '../../src/runtime/predict/predict.js';
import { buildModelMetadata, parseModelMetadata, readModelMetadata, type GraftModelMetadata } from '../../src/runtime/predict/model-metadata.js';
import { openModelFolder } from '../../src/runtime/predict/model-folder.js';
import type { ExperimentPlan } from '../../src/core/plan/types.js';

const dir = mkdtempSync(join(tmpdir(), 'graft-model-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = { file: '/w/spec.graft', line: 1, column: 1 };
/** The fields of a plan the description reads (the rest of ExperimentPlan is irrelevant here). */
const plan = {
    experiment: 'e',
    seed: 3,
    at,
    data: { name: 'd', image: { height: 28, width: 30, channels: 1 }, normalize: 'symmetric' },
    head: { kind: 'output', heads: [{ name: 'main', activation: 'softmax' }, { name: 'tags', activation: 'sigmoid', labels: 'labels' }] }
} as unknown as ExperimentPlan;

const good = (): GraftModelMetadata => buildModelMetadata({ plan, classes: [['a', 'b'], ['x', 'y', 'z']], specText: 'dataset d {}', runId: 'r1', cacheKey: 'k', created: new Date('2026-12-03T00:00:00Z') });

describe('graft-model.json', () => {
    it('is built from the plan: the preset spelled out, thresholds default to 0.5 for multi-label outputs', () => {
        const m = good();
        expect(m).toMatchObject({ format: 'graft-model', version: 1, experiment: 'e', dataset: 'd', seed: 3, runId: 'r1', cacheKey: 'k', created: '2026-12-03T00:00:00.000Z' });
        expect(m.spec).toEqual({ file: 'spec.graft', sha256: createHash('sha256').update('dataset d {}').digest('hex') });
        expect(m.input).toMatchObject({ height: 28, width: 30, channels: 1, colorMode: 'grayscale', normalize: 'symmetric', scale: [2 / 255], offset: [-1] });
        expect(m.outputs).toEqual([
            { head: 'main', layer: 'main_probabilities', task: 'single_label', activation: 'softmax', classes: ['a', 'b'] },
            { head: 'tags', layer: 'tags_probabilities', task: 'multi_label', activation: 'sigmoid', classes: ['x', 'y', 'z'], labelColumn: 'labels', thresholds: [0.5, 0.5, 0.5] }
        ]);
        expect(parseModelMetadata(JSON.parse(JSON.stringify(m)), 'f')).toEqual(m);
    });

    it('refuses a newer format, and damaged fields, naming the file and the field', () => {
        expect(() => parseModelMetadata({ ...good(), version: 2, graft: '9.0.0' }, 'x/graft-model.json')).toThrow(/x\/graft-model\.json: written by a newer Graft \(9\.0\.0, format version 2; this Graft reads 1\); update Graft/);
        expect(() => parseModelMetadata({ format: 'other' }, 'f')).toThrow(/not a Graft model description/);
        expect(() => parseModelMetadata({ ...good(), input: { ...good().input, channels: 2 } }, 'f')).toThrow(/channels must be 1 or 3/);
        expect(() => parseModelMetadata({ ...good(), input: { ...good().input, scale: [1, 2] } }, 'f')).toThrow(/scale\/offset must have one number per channel/);
        expect(() => parseModelMetadata({ ...good(), outputs: [] }, 'f')).toThrow(/no outputs/);
        expect(() => parseModelMetadata({ ...good(), outputs: [{ ...good().outputs[1], thresholds: [0.5] }] }, 'f')).toThrow(/outputs\[0\]\.thresholds must have one number per class/);
        expect(() => parseModelMetadata(null, 'f')).toThrow(/re-export the model/);
    });

    it('a damaged file, a folder without a model, an experiment folder: each says what to do', () => {
        const damaged = join(dir, 'damaged');
        mkdirSync(damaged);
        writeFileSync(join(damaged, 'model.json'), '{}');
        writeFileSync(join(damaged, 'graft-model.json'), '{"format": "graft-mo');
        expect(() => readModelMetadata(damaged)).toThrow(/graft-model\.json: not readable JSON .*re-run the experiment/);
        expect(() => openModelFolder(join(dir, 'absent'))).toThrow(/no such file or folder; give a run folder/);
        const bare = join(dir, 'bare');
        mkdirSync(bare);
        writeFileSync(join(bare, 'model.json'), '{}');
        expect(() => openModelFolder(bare)).toThrow(/graft-model\.json: missing, so the model's classes, image size and normalisation are unknown/);
        const experimentDir = join(dir, 'runs', 'e');
        mkdirSync(join(experimentDir, '20261203-000000'), { recursive: true });
        expect(() => openModelFolder(experimentDir)).toThrow(/this looks like an experiment folder: give one of its run folders/);
        // A run folder that did not get as far as a model.
        const run = join(experimentDir, '20261203-000000');
        writeFileSync(join(run, 'results.json'), JSON.stringify({ status: 'failed' }));
        writeFileSync(join(run, 'plan.json'), '{}');
        expect(() => openModelFolder(run)).toThrow(/this run has no trained model \(model\/model\.json\)/);
    });

    it('a model.json and a description that do not belong together are refused when loading', async () => {
        const folder = join(dir, 'mixed');
        const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 2, activation: 'softmax', name: 'main_probabilities' })] });
        await saveLayersModel(model, folder, { 'graft-model.json': JSON.stringify(good()) });
        model.dispose();
        await expect(loadPredictor(folder)).rejects.toThrow(/the network takes 4x4x1 images, graft-model\.json says 28x30x1; the files do not belong together/);
        const oneOutput = { ...good(), input: { ...good().input, height: 4, width: 4 }, outputs: [{ ...good().outputs[0], classes: ['a', 'b', 'c'] }] };
        writeFileSync(join(folder, 'graft-model.json'), JSON.stringify(oneOutput));
        await expect(loadPredictor(folder)).rejects.toThrow(/output main has 2 units for 3 classes/);
        writeFileSync(join(folder, 'graft-model.json'), JSON.stringify({ ...oneOutput, outputs: [{ ...good().outputs[0] }] }));
        const predictor = await loadPredictor(folder);
        expect(predictor.metadata.outputs[0].classes).toEqual(['a', 'b']);
        predictor.dispose();
    });
});
