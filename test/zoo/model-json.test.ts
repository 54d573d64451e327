// model.json topologies (Keras 2 functional, Keras 3 functional, Sequential, nested) read into
// descriptions; the caching by mtime.
import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeModelJson, describeModelJsonCached, describeModelJsonContent, blockOfLayerName, ModelJsonError } from '../../src/core/zoo/model-json.js';

const conv = (name: string, filters: number, inbound: unknown, extra: object = {}) => ({
    class_name: 'Conv2D',
    name,
    config: { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', use_bias: true, activation: 'linear', ...extra },
    inbound_nodes: inbound
});

/** Keras 2 style: inbound_nodes [[[name, node, tensor, kwargs]]], model_config wrapper, weights named layer/weight. */
const keras2 = {
    format: 'layers-model',
    modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
            class_name: 'Functional',
            config: {
                name: 'tiny',
                layers: [
                    { class_name: 'InputLayer', name: 'input_1', config: { name: 'input_1', batch_input_shape: [null, 32, 32, 3] }, inbound_nodes: [] },
                    conv('block1_conv', 8, [[['input_1', 0, 0, {}]]]),
                    { class_name: 'BatchNormalization', name: 'block1_bn', config: { name: 'block1_bn', epsilon: 0.001 }, inbound_nodes: [[['block1_conv', 0, 0, {}]]] },
                    conv('block2_conv', 8, [[['block1_bn', 0, 0, {}]]], { strides: [2, 2] }),
                    conv('skip', 8, [[['block1_bn', 0, 0, {}]]], { strides: [2, 2], kernel_size: 1 }),
                    { class_name: 'Add', name: 'block2_add', config: { name: 'block2_add' }, inbound_nodes: [[['block2_conv', 0, 0, {}], ['skip', 0, 0, {}]]] },
                    { class_name: 'GlobalAveragePooling2D', name: 'gap', config: { name: 'gap' }, inbound_nodes: [[['block2_add', 0, 0, {}]]] },
                    { class_name: 'Dense', name: 'logits', config: { name: 'logits', units: 10, use_bias: true }, inbound_nodes: [[['gap', 0, 0, {}]]] }
                ],
                input_layers: [['input_1', 0, 0]],
                output_layers: [['logits', 0, 0]]
            }
        }
    },
    weightsManifest: [
        {
            paths: ['group1-shard1of1.bin'],
            weights: [
                { name: 'block1_conv/kernel', shape: [3, 3, 3, 8], dtype: 'float32' },
                { name: 'block1_conv/bias', shape: [8], dtype: 'float32' },
                { name: 'block1_bn/gamma', shape: [8], dtype: 'float32' },
                { name: 'block1_bn/beta', shape: [8], dtype: 'float32' },
                { name: 'block1_bn/moving_mean', shape: [8], dtype: 'float32' },
                { name: 'block1_bn/moving_variance', shape: [8], dtype: 'float32' },
                { name: 'block2_conv/kernel', shape: [3, 3, 8, 8], dtype: 'float32' },
                { name: 'block2_conv/bias', shape: [8], dtype: 'float32' },
                { name: 'skip/kernel', shape: [1, 1, 8, 8], dtype: 'float32' },
                { name: 'skip/bias', shape: [8], dtype: 'float32' },
                { name: 'logits/kernel', shape: [8, 10], dtype: 'float32' },
                { name: 'logits/bias', shape: [10], dtype: 'float32' }
            ]
        }
    ]
};

describe('model.json topologies', () => {
    test('Keras 2 functional: names, graph, shapes, params from the manifest', () => {
        const d = describeModelJsonContent(keras2, 'tiny/model.json');
        expect(d.layers.map((l) => l.name)).toEqual(['input_1', 'block1_conv', 'block1_bn', 'block2_conv', 'skip', 'block2_add', 'gap', 'logits']);
        expect(d.layers.find((l) => l.name === 'block2_add')!.inbound).toEqual(['block2_conv', 'skip']);
        expect(d.layers.map((l) => l.outputShape)).toEqual([[32, 32, 3], [32, 32, 8], [32, 32, 8], [16, 16, 8], [16, 16, 8], [16, 16, 8], [8], [10]]);
        expect(d.layers.map((l) => l.params)).toEqual([0, 3 * 3 * 3 * 8 + 8, 32, 3 * 3 * 8 * 8 + 8, 72, 0, 0, 90]);
        expect(d.featureLayer).toBe('logits');
        expect(d.inputShape).toEqual([32, 32, 3]);
        expect(d.blocks.map((b) => b.name)).toEqual(['block1', 'block2']);
        expect(d.arch).toBe('model.json');
    });

    test('cut at drops the head; unknown layers are named with suggestions', () => {
        const d = describeModelJsonContent(keras2, 'tiny/model.json', 'block2_add');
        expect(d.layers.at(-1)!.name).toBe('block2_add');
        expect(d.featureShape).toEqual([16, 16, 8]);
        expect(() => describeModelJsonContent(keras2, 'tiny/model.json', 'block2_ad')).toThrow(/no layer "block2_ad" \(did you mean "block2_add"/);
    });

    test('Keras 3 functional (inbound_nodes with keras_history, batch_shape)', () => {
        const tensor = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [name, 0, 0] } });
        const json = {
            modelTopology: {
                class_name: 'Functional',
                config: {
                    name: 'k3',
                    layers: [
                        { class_name: 'InputLayer', name: 'input_layer', config: { name: 'input_layer', batch_shape: [null, 28, 28, 1] }, inbound_nodes: [] },
                        { ...conv('c1', 4, [{ args: [tensor('input_layer')], kwargs: {} }]) },
                        { ...conv('c2', 4, [{ args: [tensor('c1')], kwargs: {} }]) },
                        { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: [{ args: [[tensor('c1'), tensor('c2')]], kwargs: {} }] }
                    ],
                    input_layers: [['input_layer', 0, 0]],
                    output_layers: ['sum', 0, 0]
                }
            },
            weightsManifest: []
        };
        const d = describeModelJsonContent(json, 'k3');
        expect(d.layers.find((l) => l.name === 'sum')!.inbound).toEqual(['c1', 'c2']);
        expect(d.featureShape).toEqual([28, 28, 4]);
        // No manifest entries: parameters are inferred from the configs.
        expect(d.params).toBe(9 * 1 * 4 + 4 + 9 * 4 * 4 + 4);
    });

    test('Sequential holding a nested functional model is flattened', () => {
        const json = {
            modelTopology: {
                model_config: {
                    class_name: 'Sequential',
                    config: {
                        name: 'seq',
                        layers: [
                            { class_name: 'Functional', name: 'tiny', config: keras2.modelTopology.model_config.config },
                            { class_name: 'Dense', config: { name: 'new_head', units: 3 } }
                        ]
                    }
                }
            },
            weightsManifest: keras2.weightsManifest
        };
        const d = describeModelJsonContent(json, 'seq');
        expect(d.layers.map((l) => l.name)).toEqual(['input_1', 'block1_conv', 'block1_bn', 'block2_conv', 'skip', 'block2_add', 'gap', 'logits', 'new_head']);
        expect(d.layers.at(-1)!.inbound).toEqual(['logits']);
        expect(d.featureShape).toEqual([3]);
        expect(d.params).toBe(keras2.weightsManifest[0].weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0) + 10 * 3 + 3);
    });

    test('plain Sequential with batch_input_shape on its first layer', () => {
        const json = {
            modelTopology: {
                class_name: 'Sequential',
                config: { name: 's', layers: [conv('a', 2, undefined, { batch_input_shape: [null, 10, 10, 1], padding: 'valid' }), { class_name: 'Flatten', config: { name: 'f' } }] }
            }
        };
        const d = describeModelJsonContent(json, 's');
        expect(d.layers.map((l) => [l.index, l.name, l.outputShape])).toEqual([[0, 'a', [8, 8, 2]], [1, 'f', [128]]]);
        expect(d.layers[1].inbound).toEqual(['a']);
    });

    test('bad content gives clear errors', () => {
        expect(() => describeModelJsonContent({ format: 'graph-model', modelTopology: undefined }, 'g.json')).toThrow(/graph model/);
        expect(() => describeModelJsonContent([], 'x.json')).toThrow(ModelJsonError);
        expect(() => describeModelJsonContent({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] } } }, 'n.json')).toThrow(
            /no fixed input shape/
        );
    });

    test('blocks from Keras-style names', () => {
        expect(['block_13_expand', 'expanded_conv_project', 'conv_pw_3_bn', 'conv_pad_2', 'conv4_block2_out', 'block3_conv1', 'conv1_relu', 'bn_Conv1', 'Conv_1', 'out_relu'].map(blockOfLayerName)).toEqual([
            'block_13', 'expanded_conv', 'block_3', 'block_2', 'conv4_block2', 'block3', 'conv1', 'Conv1', undefined, undefined
        ]);
    });
});

describe('model.json files on disk', () => {
    test('read errors name the file; the cache follows the mtime', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-mj-'));
        const file = join(dir, 'model.json');
        expect(() => describeModelJson(file)).toThrow(new RegExp(`cannot read ${file}`));
        writeFileSync(file, '{ not json');
        expect(() => describeModelJson(file)).toThrow(/is not valid JSON/);
        const bad = describeModelJsonCached(file);
        expect(bad.ok).toBe(false);
        writeFileSync(file, JSON.stringify(keras2));
        utimesSync(file, new Date(), new Date(Date.now() + 5000));
        const first = describeModelJsonCached(file);
        expect(first.ok && first.description.layers.length).toBe(8);
        expect(describeModelJsonCached(file)).toBe(first); // same object: served from the cache
        expect(describeModelJsonCached(join(dir, 'missing.json'))).toEqual({ ok: false, error: `${join(dir, 'missing.json')} does not exist` });
    });
});
