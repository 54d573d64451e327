// The weights converter: the axis permutation itself, and the strongest check — networks built
// by Graft's zoo (small_cnn with a flatten head, MobileNetV2 with depthwise convolutions and
// TensorFlow's asymmetric 'same' padding, MobileNetV1's explicit padding), converted to the generated GraftNet, give the same
// logits in PyTorch as in tfjs on the same images. That part needs Debian's python3-torch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import { layerGraph } from '../../src/runtime/export/layer-graph.js';
import { npyBytes } from '../../src/runtime/export/npy.js';
import { modelCode } from '../../src/runtime/export/pytorch/model-code.js';
import { LAYER_MODULES } from '../../src/runtime/export/pytorch/runtime-code.js';
import { stateDict, transpose } from '../../src/runtime/export/pytorch/state-dict.js';

const PYTHON = '/usr/bin/python3';
const torchCheck = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = torchCheck.status === 0;

let dir: string;
beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'graft-state-dict-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('transpose', () => {
    it('permutes axes of a row-major tensor (HWIO → OIHW)', () => {
        // shape [2, 1, 1, 3]: value = h * 10 + o
        const values = Float32Array.from([0, 1, 2, 10, 11, 12]);
        const t = transpose(values, [2, 1, 1, 3], [3, 2, 0, 1]);
        expect(t.shape).toEqual([3, 1, 2, 1]);
        expect([...t.values]).toEqual([0, 10, 1, 11, 2, 12]);
    });
});

/** A backbone from the zoo plus a head like Graft's, with random (not initial) BatchNorm statistics. */
function network(backbone: tf.LayersModel, head: 'flatten' | 'average'): tf.LayersModel {
    let x = backbone.outputs[0];
    x = (head === 'flatten' ? tf.layers.flatten({ name: 'main_pool_1' }) : tf.layers.globalAveragePooling2d({ name: 'main_pool_1' })).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 12, activation: 'relu', name: 'main_dense_2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'main_batchnorm_3' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 4, name: 'main_logits' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: backbone.inputs, outputs: x });
    let k = 1;
    for (const layer of model.layers) {
        if (layer.getClassName() !== 'BatchNormalization') continue;
        const w = layer.getWeights();
        const n = w[0].shape[0];
        // gamma, beta, moving mean, moving variance: all different from their initial values
        layer.setWeights([tf.randomUniform([n], 0.5, 1.5, 'float32', k++), tf.randomUniform([n], -0.3, 0.3, 'float32', k++), tf.randomUniform([n], -0.2, 0.2, 'float32', k++), tf.randomUniform([n], 0.5, 2, 'float32', k++)]);
    }
    return model;
}

async function comparePyTorch(name: string, model: tf.LayersModel, backbone: tf.LayersModel, shape: [number, number, number]): Promise<number> {
    const out = join(dir, name);
    mkdirSync(join(out, 'weights'), { recursive: true });
    const images = tf.randomUniform([3, ...shape], -1, 1, 'float32', 7);
    const expected = Array.from(await (model.predict(images) as tf.Tensor).data());
    const layers = layerGraph(model, backbone);
    const index: Record<string, string> = {};
    for (const t of stateDict(layers)) {
        writeFileSync(join(out, 'weights', `${t.key}.npy`), npyBytes(t.values, t.shape));
        index[t.key] = `${t.key}.npy`;
    }
    writeFileSync(join(out, 'images.npy'), npyBytes(await images.data() as Float32Array, [3, ...shape]));
    const script = [
        'import json, os, sys',
        'import numpy as np',
        'import torch',
        'import torch.nn as nn',
        'import torch.nn.functional as F',
        LAYER_MODULES,
        modelCode(layers, name),
        'net = GraftNet()',
        `index = ${JSON.stringify(index)}`,
        `here = ${JSON.stringify(out)}`,
        'state = {k: torch.from_numpy(np.load(os.path.join(here, "weights", f))) for k, f in index.items()}',
        'missing, unexpected = net.load_state_dict(state, strict=False)',
        'assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)',
        'net.eval()',
        'x = torch.from_numpy(np.load(os.path.join(here, "images.npy"))).permute(0, 3, 1, 2).contiguous()',
        'with torch.no_grad():',
        '    print(json.dumps(net(x).flatten().tolist()))'
    ].join('\n');
    writeFileSync(join(out, 'check.py'), script);
    const r = spawnSync(PYTHON, [join(out, 'check.py')], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(r.stderr).toBe('');
    const actual = JSON.parse(r.stdout) as number[];
    expect(actual).toHaveLength(expected.length);
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    return Math.max(...actual.map((v, i) => Math.abs(v - expected[i]))) / scale;
}

describe.skipIf(!hasTorch)(`converted weights give tfjs' logits in PyTorch${hasTorch ? '' : ` (skipped: ${PYTHON} cannot import torch; apt-get install python3-torch)`}`, () => {
    it('small_cnn with a flatten head (channels-last flatten, BatchNorm1d in the head)', async () => {
        const backbone = buildBackbone(describeZoo('small_cnn', { filters: [6, 10], inputShape: [28, 28, 1] }), { seed: 5 });
        expect(await comparePyTorch('small_cnn', network(backbone, 'flatten'), backbone, [28, 28, 1])).toBeLessThan(1e-4);
    });

    it('mobilenet_v1 (ZeroPadding2D before valid stride-2 convolutions, depthwise)', async () => {
        const backbone = buildBackbone(describeZoo('mobilenet_v1', { alpha: 0.25, inputShape: [32, 32, 3] }), { seed: 4 });
        expect(await comparePyTorch('mobilenet_v1', network(backbone, 'average'), backbone, [32, 32, 3])).toBeLessThan(1e-4);
    });

    it('mobilenet_v2 (depthwise convolutions, stride-2 same padding, ReLU6, Add)', async () => {
        const backbone = buildBackbone(describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [32, 32, 3] }), { seed: 9 });
        expect(await comparePyTorch('mobilenet_v2', network(backbone, 'average'), backbone, [32, 32, 3])).toBeLessThan(1e-4);
    });
});
