// Each freezing statement's effect on the variables that actually train, on a real tfjs model
// built from the zoo catalog (small_cnn [2, 4, 4]: blocks of conv → bn → relu → pool).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FreezeOp } from '../../src/core/plan/types.js';
import { applyStageFreezing, assembleModel, batchNormInTraining, cutBackbone, paramGroups, recalibrateBatchNorm, SpecError, type AssembledModel } from '../../src/runtime/train/model.js';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import { at, stage, tinyPlan } from './helpers.js';

beforeAll(async () => {
    await tf.setBackend('cpu');
});

const description = describeZoo('small_cnn', { filters: [2, 4, 4], inputShape: [8, 8, 1] });

function model(pretrained = true): AssembledModel {
    const plan = tinyPlan({ backbone: { kind: 'zoo', arch: 'small_cnn', filters: [2, 4, 4], weights: pretrained ? { kind: 'imagenet' } : { kind: 'none' }, at, description } });
    return assembleModel(buildBackbone(description, { seed: 1 }), plan, () => 3, description);
}

/** Layer names owning the backbone variables that train after the statements. */
function training(ops: FreezeOp[], batchnorm: 'frozen' | 'trainable' = 'trainable', m = model()): string[] {
    applyStageFreezing(m, stage({ freeze: ops, batchnorm }), undefined);
    return [...new Set(paramGroups(m).backbone.map((v) => v.name.split('/')[0]))];
}

describe('freezing statements on a built model', () => {
    it('no statement: everything trains (Keras default)', () => {
        expect(training([])).toEqual(['block1_conv', 'block1_bn', 'block2_conv', 'block2_bn', 'block3_conv', 'block3_bn']);
    });
    it('freeze all: only the head trains', () => {
        const m = model();
        expect(training([{ op: 'freeze_all' }], 'trainable', m)).toEqual([]);
        expect(paramGroups(m).head.map((v) => v.name.replace(/_\d+$/, ''))).toEqual(['main_dense_2/kernel', 'main_dense_2/bias', 'main_logits/kernel', 'main_logits/bias']);
    });
    it('freeze none after freeze all', () => {
        expect(training([{ op: 'freeze_all' }, { op: 'freeze_none' }])).toHaveLength(6);
    });
    it('freeze until "block2_bn": that layer and all before it', () => {
        expect(training([{ op: 'freeze_until', layer: 'block2_bn' }])).toEqual(['block3_conv', 'block3_bn']);
    });
    it('freeze layers 0..5 counts from the input layer at 0', () => {
        // 0 input_1, 1 block1_conv, 2 block1_bn, 3 block1_relu, 4 block1_pool, 5 block2_conv
        expect(training([{ op: 'freeze_layers', from: 0, to: 5 }])).toEqual(['block2_bn', 'block3_conv', 'block3_bn']);
    });
    it('freeze matching "*_bn"', () => {
        expect(training([{ op: 'freeze_matching', pattern: '*_bn' }])).toEqual(['block1_conv', 'block2_conv', 'block3_conv']);
    });
    it('unfreeze last 1 blocks / last 6 layers after freeze all', () => {
        expect(training([{ op: 'freeze_all' }, { op: 'unfreeze_last', count: 1, unit: 'blocks' }])).toEqual(['block3_conv', 'block3_bn']);
        // the last 6 layers: block2_relu, block2_pool, block3_conv, block3_bn, block3_relu, block3_pool
        expect(training([{ op: 'freeze_all' }, { op: 'unfreeze_last', count: 6, unit: 'layers' }])).toEqual(['block3_conv', 'block3_bn']);
    });
    it('unfreeze from "block2_conv"', () => {
        expect(training([{ op: 'freeze_all' }, { op: 'unfreeze_from', layer: 'block2_conv' }])).toEqual(['block2_conv', 'block2_bn', 'block3_conv', 'block3_bn']);
    });
    it('batchnorm frozen keeps a pretrained backbone\'s BatchNorm out of training', () => {
        expect(training([], 'frozen')).toEqual(['block1_conv', 'block2_conv', 'block3_conv']);
        // random initial weights: no statistics to keep, BatchNorm trains
        expect(training([], 'frozen', model(false))).toHaveLength(6);
    });
    it('an unknown layer names the stage\'s spec line', () => {
        const m = model();
        const where = { file: '/spec/x.graft', line: 12, column: 3 };
        expect(() => applyStageFreezing(m, stage({ at: where, freeze: [{ op: 'unfreeze_from', layer: 'nope' }] }), undefined)).toThrow(SpecError);
        try {
            applyStageFreezing(m, stage({ at: where, freeze: [{ op: 'unfreeze_from', layer: 'nope' }] }), undefined);
        } catch (err) {
            expect((err as SpecError).at).toEqual(where);
        }
    });
    it('cut at drops the later layers', () => {
        const cut = cutBackbone(buildBackbone(description, { seed: 1 }), 'block2_pool', at);
        expect(cut.outputs[0].shape).toEqual([null, 2, 2, 4]);
        expect(() => cutBackbone(buildBackbone(description, { seed: 1 }), 'nope', at)).toThrow(/no such layer/);
    });
});

describe('frozen BatchNorm runs in inference mode', () => {
    it('moving statistics stay and the output does not depend on the batch', async () => {
        const m = model();
        applyStageFreezing(m, stage({ freeze: [], batchnorm: 'frozen' }), undefined);
        const bn = m.backbone.getLayer('block1_bn');
        const before = bn.getWeights().map((w) => Array.from(w.dataSync()));
        const x = tf.randomNormal([4, 8, 8, 1], 3, 2, 'float32', 5);
        // An unfrozen BN in training mode would normalise with the batch's statistics: the first
        // image's features would change with the rest of the batch, and the moving averages would move.
        const f4 = m.backbone.apply(x, { training: true }) as tf.Tensor;
        const f1 = m.backbone.apply(x.slice([0], [1]), { training: true }) as tf.Tensor;
        const a = f4.slice([0], [1]).dataSync();
        const b = f1.dataSync();
        for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
        expect(bn.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
        tf.dispose([x, f4, f1]);
    });
    it('a trainable BatchNorm updates its moving statistics in training mode', () => {
        const m = model();
        applyStageFreezing(m, stage({ freeze: [], batchnorm: 'trainable' }), undefined);
        const bn = m.backbone.getLayer('block1_bn');
        const before = Array.from(bn.getWeights()[2].dataSync());
        const x = tf.randomNormal([4, 8, 8, 1], 3, 2, 'float32', 5);
        tf.dispose(m.backbone.apply(x, { training: true }) as tf.Tensor);
        expect(Array.from(bn.getWeights()[2].dataSync())).not.toEqual(before);
    });
});

describe('precise BatchNorm statistics', () => {
    it('moving mean = the mean of the batches\' means under the current weights', async () => {
        const m = model(false);
        applyStageFreezing(m, stage({ batchnorm: 'trainable' }), undefined);
        const bn = m.backbone.getLayer('block1_bn');
        const convOut = tf.model({ inputs: m.backbone.inputs, outputs: m.backbone.getLayer('block1_conv').output as tf.SymbolicTensor });
        const x1 = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
        const x2 = tf.randomUniform([4, 8, 8, 1], 0, 3, 'float32', 2) as tf.Tensor4D;
        const means = [x1, x2].map((x) => tf.mean(convOut.predict(x) as tf.Tensor, [0, 1, 2]));
        const expected = Array.from(tf.div(tf.add(means[0], means[1]), 2).dataSync());
        async function* batches() {
            yield { x: x1.clone(), labels: [] };
            yield { x: x2.clone(), labels: [] };
        }
        const used = await recalibrateBatchNorm(m, batchNormInTraining(m), batches(), 10);
        expect(used).toBe(2);
        Array.from(bn.getWeights()[2].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    });
});

describe('head errors name the spec line', () => {
    it('a head without pooling on a feature map', () => {
        const where = { file: '/spec/h.graft', line: 7, column: 3 };
        const plan = tinyPlan({ head: { kind: 'output', heads: [{ name: 'main', at: where, layers: [{ kind: 'dense', units: 4, activation: 'relu' }], activation: 'softmax', weight: 1, loss: { kind: 'crossentropy', smoothing: 0 } }] } });
        expect(() => assembleModel(buildBackbone(description, { seed: 1 }), plan, () => 3, description)).toThrow(expect.objectContaining({ at: where, message: expect.stringMatching(/start the head with `pool/) }));
    });
});
