// The BackboneLayers language service on the shipped examples and on specs with model.json files.
import { beforeAll, describe, expect, test } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkspace, type LoadedWorkspace } from '../../src/language/workspace/load-workspace.js';
import { isExperiment, type Experiment } from '../../src/language/generated/ast.js';
import type { BackboneResult } from '../../src/language/layers/backbone-layers.js';

const sharedExamples = join(import.meta.dirname, '../../examples');

function experiments(ws: LoadedWorkspace): Map<string, Experiment> {
    return new Map(ws.documents.flatMap((d) => d.parseResult.value.elements.filter(isExperiment)).map((e) => [e.name, e]));
}

function ok(result: BackboneResult) {
    if (!result.ok) throw new Error(`expected a description, got: ${result.reason}`);
    return result;
}

describe('backbones of the shipped examples', () => {
    let ws: LoadedWorkspace;
    let exps: Map<string, Experiment>;
    beforeAll(async () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-bl-'));
        for (const f of readdirSync(sharedExamples).filter((f) => f.endsWith('.graft'))) copyFileSync(join(sharedExamples, f), join(dir, f));
        copyFileSync(join(sharedExamples, 'invalid.graft.txt'), join(dir, 'invalid.graft'));
        const files = readdirSync(dir).map((f) => join(dir, f));
        ws = await loadWorkspace(files, { validate: false });
        exps = experiments(ws);
    });
    const layers = () => ws.services.layers.BackboneLayers;

    test('small_cnn at the data\'s 28×28 grayscale', () => {
        const { description } = ok(layers().describeExperiment(exps.get('digits_pretrain')!));
        expect(description.inputShape).toEqual([28, 28, 1]);
        expect(description.featureLayer).toBe('block3_pool');
        expect(description.featureShape).toEqual([3, 3, 128]);
        expect(description.blocks.length).toBe(3);
    });

    test('backbone <experiment> is that experiment\'s backbone', () => {
        const pretrain = ok(layers().describeExperiment(exps.get('digits_pretrain')!)).description;
        expect(ok(layers().describeExperiment(exps.get('digits_transfer')!)).description).toEqual(pretrain);
        expect(ok(layers().describeExperiment(exps.get('fashion_from_digits')!)).description.layers.map((l) => l.name)).toEqual(pretrain.layers.map((l) => l.name));
    });

    test('mobilenet_v2 α0.35 at 96×96 rgb', () => {
        const { description } = ok(layers().describeExperiment(exps.get('fashion_mobilenet')!));
        expect(description.label).toBe('mobilenet_v2 α0.35');
        expect(description.featureShape).toEqual([3, 3, 1280]);
        expect(description.params).toBe(410_208);
        expect(description.layers.some((l) => l.name === 'block_13_expand')).toBe(true);
    });

    test('an alpha that is not offered still yields layer names, with a note', () => {
        const result = ok(layers().describeExperiment(exps.get('unknown_layer')!));
        expect(result.note).toMatch(/alpha 0.6 is not offered/);
        expect(result.description.layers.some((l) => l.name === 'block_9_add')).toBe(true);
    });

    test('cycles come back as ok:false, not a stack overflow', () => {
        const result = layers().describeExperiment(exps.get('cycle_a')!);
        expect(result).toEqual({ ok: false, reason: expect.stringMatching(/cycle/) });
    });

    test('describeBackbone takes an explicit input shape', () => {
        const exp = exps.get('fashion_mobilenet')!;
        const backbone = layers().backboneOf(exp)!;
        expect(ok(layers().describeBackbone(backbone, [224, 224, 3])).description.params).toBe(410_208);
        const small = layers().describeBackbone(layers().backboneOf(exps.get('digits_pretrain')!)!, [4, 4, 1]);
        expect(small).toEqual({ ok: false, reason: expect.stringMatching(/too small/) });
    });
});

describe('model.json backbones', () => {
    test('paths relative to the spec, cut at, URLs', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-blj-'));
        mkdirSync(join(dir, 'exported'));
        const layer = (name: string, className: string, config: object, from?: string) => ({
            class_name: className,
            name,
            config: { name, ...config },
            inbound_nodes: from ? [[[from, 0, 0, {}]]] : []
        });
        writeFileSync(
            join(dir, 'exported', 'model.json'),
            JSON.stringify({
                modelTopology: {
                    class_name: 'Functional',
                    config: {
                        layers: [
                            layer('input_1', 'InputLayer', { batch_input_shape: [null, 16, 16, 3] }),
                            layer('block1_conv', 'Conv2D', { filters: 4, kernel_size: 3, padding: 'same' }, 'input_1'),
                            layer('block1_pool', 'MaxPooling2D', { pool_size: 2 }, 'block1_conv'),
                            layer('block2_conv', 'Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }, 'block1_pool')
                        ],
                        output_layers: [['block2_conv', 0, 0]]
                    }
                }
            })
        );
        const spec = join(dir, 'spec.graft');
        writeFileSync(
            spec,
            `dataset d { source folder "data" image 32 x 32 rgb }
experiment from_file { data d backbone from "exported/model.json" cut at "block1_pool" head { output softmax } }
experiment zoo_weights { data d backbone small_cnn filters 4, 8 weights "exported/model.json" head { output softmax } }
experiment zoo_url { data d backbone mobilenet_v1 alpha 0.25 weights "https://example.org/m/model.json" head { output softmax } }
experiment url_file { data d backbone from "https://example.org/m/model.json" head { output softmax } }
experiment missing { data d backbone from "nowhere/model.json" head { output softmax } }
experiment reuse { data d backbone from_file cut at "block1_conv" head { output softmax } }
experiment reuse_zoo { data d backbone zoo_url cut at "conv_pw_2_relu" head { output softmax } }
experiment bad_cut { data d backbone from "exported/model.json" cut at "block3_conv" head { output softmax } }
`
        );
        const ws = await loadWorkspace([spec], { validate: false });
        const exps = experiments(ws);
        const layers = ws.services.layers.BackboneLayers;
        const fromFile = ok(layers.describeExperiment(exps.get('from_file')!)).description;
        expect(fromFile.layers.map((l) => l.name)).toEqual(['input_1', 'block1_conv', 'block1_pool']);
        expect(fromFile.featureShape).toEqual([8, 8, 4]);
        expect(fromFile.source).toBe(join(dir, 'exported', 'model.json'));
        // Zoo + a weights file: the zoo's layers (what the runtime builds), with a note on the fit.
        const zooWeights = ok(layers.describeExperiment(exps.get('zoo_weights')!));
        expect(zooWeights.description.arch).toBe('small_cnn');
        expect(zooWeights.note).toBe(
            'exported/model.json has no weights for block1_bn, block2_bn; ' +
                'exported/model.json has weights of another size for block1_conv (108 here, 112 in the file), block2_conv (288 here, 296 in the file)'
        );
        expect(ok(layers.describeExperiment(exps.get('zoo_url')!)).description.label).toBe('mobilenet_v1 α0.25');
        const reuse = ok(layers.describeExperiment(exps.get('reuse')!)).description;
        expect(reuse.layers.map((l) => l.name)).toEqual(['input_1', 'block1_conv']);
        expect(reuse.featureShape).toEqual([16, 16, 4]);
        expect(reuse.layers[1].config).toBeUndefined(); // model.json layers are not rebuilt from partial configs
        const reuseZoo = ok(layers.describeExperiment(exps.get('reuse_zoo')!)).description;
        expect(reuseZoo.featureShape).toEqual([8, 8, 32]); // 32×32 input, α0.25: int(128·0.25) channels
        expect(reuseZoo.layers.every((l) => l.className === 'InputLayer' || l.config)).toBe(true);
        expect(layers.describeExperiment(exps.get('url_file')!)).toEqual({ ok: false, reason: expect.stringMatching(/is a URL/) });
        expect(layers.describeExperiment(exps.get('missing')!)).toEqual({ ok: false, reason: expect.stringMatching(/nowhere\/model.json does not exist/) });
        expect(layers.describeExperiment(exps.get('bad_cut')!)).toEqual({ ok: false, reason: expect.stringMatching(/no layer "block3_conv"/) });
    });
});
