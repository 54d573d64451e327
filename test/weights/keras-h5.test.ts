// A Keras .h5 file as Keras itself writes one, read by the runtime's h5 loader into the zoo's
// MobileNetV2. The layer list, weight names and shapes below are derived here from Keras'
// mobilenet_v2.py (its block table, `_make_divisible`, the name prefixes and which layers carry
// which weights) — not from Graft's catalog — so the test checks that the zoo's names and shapes
// are Keras' own. The files follow Keras 2's HDF5 layout: fixed-length byte-string attributes
// (`layer_names`, `weight_names`, `backend`, `keras_version`), every layer listed (weightless ones
// with an empty `weight_names`), datasets at `<layer>/<layer>/<weight>:0`; `save_weights` at the
// root (the published `*_no_top.h5`), `model.save` under /model_weights with `model_config`, and
// a transfer model saved with the backbone nested as one layer and a classifier beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { readH5Weights } from '../../src/runtime/weights/h5.js';
import { assertUsable, copyWeightsByName } from '../../src/runtime/weights/source.js';

interface KerasLayer {
    name: string;
    weights: { name: string; shape: number[] }[];
}

/** Keras' `_make_divisible(v, 8)`. */
function kerasMakeDivisible(v: number, divisor = 8): number {
    let next = Math.max(divisor, Math.trunc(v + divisor / 2) - (Math.trunc(v + divisor / 2) % divisor));
    if (next < 0.9 * v) next += divisor;
    return next;
}

const conv = (name: string, shape: number[]): KerasLayer => ({ name, weights: [{ name: 'kernel', shape }] });
const depthwise = (name: string, channels: number): KerasLayer => ({ name, weights: [{ name: 'depthwise_kernel', shape: [3, 3, channels, 1] }] });
const bn = (name: string, channels: number): KerasLayer => ({ name, weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => ({ name: w, shape: [channels] })) });
const none = (name: string): KerasLayer => ({ name, weights: [] });

/** keras.applications.MobileNetV2(include_top=False, alpha=alpha): its layers in model.layers order. */
function kerasMobileNetV2(alpha: number, inputName: string): KerasLayer[] {
    const layers: KerasLayer[] = [none(inputName)];
    let channels = kerasMakeDivisible(32 * alpha);
    layers.push(conv('Conv1', [3, 3, 3, channels]), bn('bn_Conv1', channels), none('Conv1_relu'));
    // (filters, stride, expansion, block_id), as mobilenet_v2.py calls _inverted_res_block.
    const blocks: [number, number, number, number][] = [
        [16, 1, 1, 0], [24, 2, 6, 1], [24, 1, 6, 2], [32, 2, 6, 3], [32, 1, 6, 4], [32, 1, 6, 5], [64, 2, 6, 6], [64, 1, 6, 7], [64, 1, 6, 8], [64, 1, 6, 9],
        [96, 1, 6, 10], [96, 1, 6, 11], [96, 1, 6, 12], [160, 2, 6, 13], [160, 1, 6, 14], [160, 1, 6, 15], [320, 1, 6, 16]
    ];
    for (const [filters, stride, expansion, id] of blocks) {
        const inChannels = channels;
        const pointwise = kerasMakeDivisible(Math.trunc(filters * alpha), 8);
        let prefix = 'expanded_conv_';
        let c = inChannels;
        if (id) {
            prefix = `block_${id}_`;
            c = expansion * inChannels;
            layers.push(conv(`${prefix}expand`, [1, 1, inChannels, c]), bn(`${prefix}expand_BN`, c), none(`${prefix}expand_relu`));
        }
        if (stride === 2) layers.push(none(`${prefix}pad`));
        layers.push(depthwise(`${prefix}depthwise`, c), bn(`${prefix}depthwise_BN`, c), none(`${prefix}depthwise_relu`));
        layers.push(conv(`${prefix}project`, [1, 1, c, pointwise]), bn(`${prefix}project_BN`, pointwise));
        if (inChannels === pointwise && stride === 1) layers.push(none(`${prefix}add`));
        channels = pointwise;
    }
    const last = alpha > 1 ? kerasMakeDivisible(1280 * alpha) : 1280;
    layers.push(conv('Conv_1', [1, 1, channels, last]), bn('Conv_1_bn', last), none('out_relu'));
    return layers;
}

/** Distinct, reproducible values per weight, so that a weight landing in the wrong place shows. */
function valuesFor(layerIndex: number, weightIndex: number, size: number): Float32Array {
    const out = new Float32Array(size);
    let s = (layerIndex * 7919 + weightIndex * 104729 + 1) >>> 0;
    for (let i = 0; i < size; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        out[i] = (s / 2 ** 32 - 0.5) * 0.2;
    }
    return out;
}

type H5Group = InstanceType<typeof h5wasm.Group>;

/** An attribute of byte strings as h5py writes a numpy |S array: fixed length, one size for all. */
function bytesAttr(group: H5Group, name: string, values: string[]): void {
    if (values.length === 0) {
        // Keras writes np.asarray([]) for a layer without weights: an empty float64 array.
        group.create_attribute(name, new Float64Array(0), [0], '<d');
        return;
    }
    const size = Math.max(...values.map((v) => Buffer.byteLength(v)));
    group.create_attribute(name, values, [values.length], `S${size}`);
}

/** The weights of `layers` as Keras' save_weights_to_hdf5_group writes them into `root`. */
function writeLayers(root: H5Group, layers: KerasLayer[], chunkLayerNames = false): Map<string, Float32Array[]> {
    const written = new Map<string, Float32Array[]>();
    const names = layers.map((l) => l.name);
    if (chunkLayerNames) {
        // Keras splits an attribute larger than HDF5's 64 kB header limit into name0, name1, ….
        const half = Math.ceil(names.length / 2);
        bytesAttr(root, 'layer_names0', names.slice(0, half));
        bytesAttr(root, 'layer_names1', names.slice(half));
    } else bytesAttr(root, 'layer_names', names);
    bytesAttr(root, 'backend', ['tensorflow']);
    bytesAttr(root, 'keras_version', ['2.13.1']);
    layers.forEach((layer, li) => {
        const group = root.create_group(layer.name);
        const weightNames = layer.weights.map((w) => `${layer.name}/${w.name}:0`);
        bytesAttr(group, 'weight_names', weightNames);
        const values = layer.weights.map((w, wi) => valuesFor(li, wi, w.shape.reduce((a, b) => a * b, 1)));
        if (layer.weights.length) {
            const inner = group.create_group(layer.name);
            layer.weights.forEach((w, wi) => inner.create_dataset({ name: `${w.name}:0`, data: values[wi], shape: w.shape }));
        }
        written.set(layer.name, values);
    });
    return written;
}

const dir = mkdtempSync(join(tmpdir(), 'graft-keras-h5-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
    await h5wasm.ready;
});

/** Every layer of the built zoo model holds exactly the values written for its Keras namesake. */
function expectSameWeights(model: tf.LayersModel, written: Map<string, Float32Array[]>): number {
    let checked = 0;
    for (const layer of model.layers) {
        if (layer.weights.length === 0) continue;
        const expected = written.get(layer.name);
        expect(expected, `${layer.name} in the file`).toBeDefined();
        layer.getWeights().forEach((t, i) => {
            const got = t.dataSync() as Float32Array;
            expect(got.length).toBe(expected![i].length);
            expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(expected![i].buffer)), `${layer.name} weight ${i}`).toBe(true);
            checked++;
        });
    }
    return checked;
}

describe('a Keras-written MobileNetV2 .h5 in the zoo\'s MobileNetV2', () => {
    test('the zoo has Keras\' layers, in Keras\' order, with Keras\' weight shapes (α 0.35 and α 1.3)', () => {
        for (const alpha of [0.35, 1.3]) {
            const keras = kerasMobileNetV2(alpha, 'input_1');
            const model = buildBackbone({ arch: 'mobilenet_v2', alpha, inputShape: [32, 32, 3] }, { seed: 1 });
            const zoo = model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => `${l.name}${l.weights.map((w) => `[${w.shape.join(',')}]`).join('')}`);
            const expected = keras.slice(1).map((l) => `${l.name}${l.weights.map((w) => `[${w.shape.join(',')}]`).join('')}`);
            expect(zoo).toEqual(expected);
            model.dispose();
        }
    });

    test('save_weights layout (the published *_no_top.h5, α 1.3): every layer is set, to the file\'s exact values', async () => {
        const keras = kerasMobileNetV2(1.3, 'input_1');
        const path = join(dir, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_224_no_top.h5');
        const file = new h5wasm.File(path, 'w');
        const written = writeLayers(file as unknown as H5Group, keras);
        file.close();

        const source = await readH5Weights(path);
        expect(source.weights[0]).toMatchObject({ path: ['Conv1', 'Conv1'], weight: 'kernel', shape: [3, 3, 3, 40] });
        expect(source.weights.filter((w) => w.weight === 'depthwise_kernel')).toHaveLength(17);

        const model = buildBackbone({ arch: 'mobilenet_v2', alpha: 1.3, inputShape: [32, 32, 3] }, { seed: 2 });
        const report = copyWeightsByName(model, source);
        assertUsable(report);
        const withWeights = keras.filter((l) => l.weights.length > 0).map((l) => l.name);
        expect(report.copied).toEqual(withWeights);
        expect(report).toMatchObject({ missing: [], unused: [], mismatched: [], adapted: [] });
        expect(expectSameWeights(model, written)).toBe(keras.reduce((n, l) => n + l.weights.length, 0));
        model.dispose();
    });

    test('model.save layout (/model_weights, model_config, layer_names split in chunks), on a grayscale input', async () => {
        const keras = kerasMobileNetV2(0.35, 'input_2');
        const path = join(dir, 'saved_model.h5');
        const file = new h5wasm.File(path, 'w');
        bytesAttr(file as unknown as H5Group, 'keras_version', ['2.13.1']);
        bytesAttr(file as unknown as H5Group, 'backend', ['tensorflow']);
        bytesAttr(file as unknown as H5Group, 'model_config', [JSON.stringify({ class_name: 'Functional', config: { name: 'mobilenetv2_0.35_224', layers: keras.map((l) => ({ name: l.name })) } })]);
        const written = writeLayers(file.create_group('model_weights'), keras, true);
        file.close();

        const model = buildBackbone({ arch: 'mobilenet_v2', alpha: 0.35, inputShape: [32, 32, 1] }, { seed: 3 });
        const report = copyWeightsByName(model, await readH5Weights(path));
        assertUsable(report);
        // The RGB first convolution is summed over its input channels for the one grey channel.
        expect(report.adapted).toEqual(['Conv1']);
        expect(report.missing).toEqual([]);
        const conv1 = model.getLayer('Conv1').getWeights()[0];
        expect(conv1.shape).toEqual([3, 3, 1, 16]);
        const rgb = tf.tensor(written.get('Conv1')![0], [3, 3, 3, 16]);
        expect(tf.max(tf.abs(tf.sub(conv1, tf.sum(rgb, 2, true)))).dataSync()[0]).toBeLessThan(1e-7);
        // Every other layer holds the file's values exactly (Conv1 compared above).
        const others = new Map(written);
        others.set('Conv1', [conv1.dataSync() as Float32Array]);
        expect(expectSameWeights(model, others)).toBe(keras.reduce((n, l) => n + l.weights.length, 0));
        rgb.dispose();
        model.dispose();
    });

    test('a transfer model saved whole: the backbone nested as one layer (TF2 weight names), a classifier beside it', async () => {
        const keras = kerasMobileNetV2(0.35, 'input_1');
        const path = join(dir, 'transfer.h5');
        const file = new h5wasm.File(path, 'w');
        const root = file.create_group('model_weights');
        bytesAttr(root, 'layer_names', ['input_3', 'mobilenetv2_0.35_224', 'global_average_pooling2d', 'dense']);
        bytesAttr(root, 'backend', ['tensorflow']);
        bytesAttr(root, 'keras_version', ['2.13.1']);
        bytesAttr(root.create_group('input_3'), 'weight_names', []);
        bytesAttr(root.create_group('global_average_pooling2d'), 'weight_names', []);
        // The nested model is one layer whose weight names are its layers' own: `Conv1/kernel:0`, ….
        const nested = root.create_group('mobilenetv2_0.35_224');
        const all = keras.flatMap((l, li) => l.weights.map((w, wi) => ({ layer: l.name, w, values: valuesFor(li, wi, w.shape.reduce((a, b) => a * b, 1)) })));
        bytesAttr(nested, 'weight_names', all.map((x) => `${x.layer}/${x.w.name}:0`));
        const groups = new Map<string, H5Group>();
        for (const x of all) {
            let g = groups.get(x.layer);
            if (!g) groups.set(x.layer, (g = nested.create_group(x.layer)));
            g.create_dataset({ name: `${x.w.name}:0`, data: x.values, shape: x.w.shape });
        }
        const dense = root.create_group('dense');
        bytesAttr(dense, 'weight_names', ['dense/kernel:0', 'dense/bias:0']);
        const denseInner = dense.create_group('dense');
        denseInner.create_dataset({ name: 'kernel:0', data: new Float32Array(1280 * 5), shape: [1280, 5] });
        denseInner.create_dataset({ name: 'bias:0', data: new Float32Array(5), shape: [5] });
        file.close();

        const model = buildBackbone({ arch: 'mobilenet_v2', alpha: 0.35, inputShape: [32, 32, 3] }, { seed: 4 });
        const report = copyWeightsByName(model, await readH5Weights(path));
        assertUsable(report);
        expect(report.missing).toEqual([]);
        expect(report.unused).toEqual(['dense']);
        const written = new Map<string, Float32Array[]>();
        for (const x of all) written.set(x.layer, [...(written.get(x.layer) ?? []), x.values]);
        expect(expectSameWeights(model, written)).toBe(all.length);
        model.dispose();
    });
});
