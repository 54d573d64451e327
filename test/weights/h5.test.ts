// Keras .h5 weight files (generated here with h5wasm in Keras' layout) read and copied by layer
// name, RGB kernels adapted to a grayscale input; the ImageNet sources per architecture.
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { readH5Weights } from '../../src/runtime/weights/h5.js';
import { assertUsable, copyWeightsByName, formatReport } from '../../src/runtime/weights/source.js';
import { imagenetSource } from '../../src/runtime/weights/imagenet.js';

const dir = mkdtempSync(join(tmpdir(), 'graft-h5-'));

/**
 * Writes `model`'s weights the way Keras' save_weights does: root attribute layer_names, a group
 * per layer with attribute weight_names, datasets at <layer>/<layer>/<weight>:0. `underModelWeights`
 * nests everything under /model_weights like model.save; `extra` adds a classifier top.
 */
function writeKerasH5(path: string, model: tf.LayersModel, underModelWeights = false, extra = false): void {
    const file = new h5wasm.File(path, 'w');
    const root = underModelWeights ? file.create_group('model_weights') : file;
    const names = model.layers.map((l) => l.name).concat(extra ? ['predictions'] : []);
    root.create_attribute('layer_names', names);
    for (const layer of model.layers) {
        const group = root.create_group(layer.name);
        const weightNames = layer.weights.map((w) => `${layer.name}/${w.originalName.split('/').pop()}:0`);
        // Layers without weights get an empty array, as Keras writes it.
        if (weightNames.length) group.create_attribute('weight_names', weightNames);
        else group.create_attribute('weight_names', [], [0], 'S1');
        if (weightNames.length === 0) continue;
        const inner = group.create_group(layer.name);
        layer.getWeights().forEach((t, i) => {
            inner.create_dataset({ name: weightNames[i].split('/')[1], data: t.dataSync() as Float32Array, shape: t.shape });
        });
    }
    if (extra) {
        const top = root.create_group('predictions');
        top.create_attribute('weight_names', ['predictions/kernel:0']);
        top.create_group('predictions').create_dataset({ name: 'kernel:0', data: new Float32Array(6), shape: [2, 3] });
    }
    file.close();
}

let rgb: tf.LayersModel;
beforeAll(async () => {
    await h5wasm.ready;
    rgb = buildBackbone({ arch: 'small_cnn', filters: [4, 8], inputShape: [12, 12, 3] }, { seed: 5 });
    writeKerasH5(join(dir, 'weights.h5'), rgb, false, true);
    writeKerasH5(join(dir, 'full.h5'), rgb, true);
});

describe('Keras .h5 weights', () => {
    test('read every weight with its layer and shape', async () => {
        const source = await readH5Weights(join(dir, 'weights.h5'));
        expect(source.weights.map((w) => `${w.path.join('/')}/${w.weight}[${w.shape.join(',')}]`)).toEqual([
            'block1_conv/block1_conv/kernel[3,3,3,4]',
            'block1_bn/block1_bn/gamma[4]', 'block1_bn/block1_bn/beta[4]', 'block1_bn/block1_bn/moving_mean[4]', 'block1_bn/block1_bn/moving_variance[4]',
            'block2_conv/block2_conv/kernel[3,3,4,8]',
            'block2_bn/block2_bn/gamma[8]', 'block2_bn/block2_bn/beta[8]', 'block2_bn/block2_bn/moving_mean[8]', 'block2_bn/block2_bn/moving_variance[8]',
            'predictions/predictions/kernel[2,3]'
        ]);
    });

    test('copy by name into a same-shaped model reproduces it exactly', async () => {
        const target = buildBackbone({ arch: 'small_cnn', filters: [4, 8], inputShape: [12, 12, 3] }, { seed: 6 });
        const report = copyWeightsByName(target, await readH5Weights(join(dir, 'full.h5')));
        assertUsable(report);
        expect(report.copied).toEqual(['block1_conv', 'block1_bn', 'block2_conv', 'block2_bn']);
        const x = tf.randomUniform([1, 12, 12, 3], 0, 1, 'float32', 1);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(target.predict(x) as tf.Tensor, rgb.predict(x) as tf.Tensor))).dataSync()[0]);
        expect(diff).toBe(0);
        target.dispose();
    });

    test('RGB weights on a grayscale model: the first kernel is summed over its input channels', async () => {
        const gray = buildBackbone({ arch: 'small_cnn', filters: [4, 8], inputShape: [12, 12, 1] }, { seed: 6 });
        const report = copyWeightsByName(gray, await readH5Weights(join(dir, 'weights.h5')));
        assertUsable(report);
        expect(report.adapted).toEqual(['block1_conv']);
        expect(report.unused).toEqual(['predictions']);
        expect(formatReport(report)).toMatch(/4 layers set; 1 adapted from RGB to 1 input channel \(block1_conv\)/);
        // A gray image through the adapted model equals the same image as RGB (g, g, g) through the original.
        const g = tf.randomUniform([1, 12, 12, 1], 0, 1, 'float32', 2);
        const diff = tf.tidy(() => {
            const a = gray.predict(g) as tf.Tensor;
            const b = rgb.predict(tf.concat([g, g, g], 3)) as tf.Tensor;
            return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
        });
        expect(diff).toBeLessThan(1e-5);
        gray.dispose();
    });

    test('mismatches and wrong files are reported clearly', async () => {
        const wider = buildBackbone({ arch: 'small_cnn', filters: [4, 6], inputShape: [12, 12, 3] });
        const report = copyWeightsByName(wider, await readH5Weights(join(dir, 'weights.h5')));
        expect([...new Set(report.mismatched.map((m) => m.layer))]).toEqual(['block2_conv', 'block2_bn']);
        expect(report.copied).toEqual(['block1_conv', 'block1_bn']);
        expect(() => assertUsable(report)).toThrow(/block2_conv\/kernel is \[3, 3, 4, 6\] here but \[3, 3, 4, 8\] in the file/);
        wider.dispose();
        writeFileSync(join(dir, 'not.h5'), 'hello');
        await expect(readH5Weights(join(dir, 'not.h5'))).rejects.toThrow(/not.h5 is not an HDF5 file/);
        await expect(readH5Weights(join(dir, 'absent.h5'))).rejects.toThrow(/absent.h5 does not exist/);
        const other = new h5wasm.File(join(dir, 'other.h5'), 'w');
        other.create_dataset({ name: 'x', data: new Float32Array(2) });
        other.close();
        await expect(readH5Weights(join(dir, 'other.h5'))).rejects.toThrow(/not a Keras weights file/);
    });
});

describe('ImageNet sources', () => {
    test('MobileNets come from the published tfjs layers conversions, the rest from Keras .h5 files', () => {
        expect(imagenetSource('mobilenet_v1', 0.5)).toEqual({ format: 'tfjs', url: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.50_224/model.json' });
        expect(imagenetSource('mobilenet_v1').url).toBe('https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_1.0_224/model.json');
        expect(imagenetSource('mobilenet_v2', 0.35).url).toBe(
            'https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top/model.json'
        );
        expect(imagenetSource('mobilenet_v2', 1.4)).toEqual({
            format: 'h5',
            url: 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224_no_top.h5'
        });
        expect(imagenetSource('resnet50')).toMatchObject({ format: 'h5', md5: '4d473c1dd8becc155b73f8504c6f6626' });
        expect(imagenetSource('vgg16').url).toMatch(/vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5$/);
        expect(() => imagenetSource('resnet18')).toThrow(/no published ImageNet weights/);
    });
});
