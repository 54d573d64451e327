// The catalog's blocks give the lead's freezing statements their meaning: `unfreeze last n
// blocks` on each architecture unfreezes the layers a Keras user expects.
import { describe, expect, test } from 'vitest';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import { applyFreezeOps, initialMask, trainableParams } from '../../src/core/plan/freezing.js';
import type { BackboneDescription } from '../../src/core/zoo/catalog-types.js';

function trainable(d: BackboneDescription, count: number): string[] {
    const mask = applyFreezeOps(d, initialMask(d), [{ op: 'freeze_all' }, { op: 'unfreeze_last', count, unit: 'blocks' }]);
    return d.layers.filter((_, i) => mask[i]).map((l) => l.name);
}

describe('unfreeze last n blocks', () => {
    test('mobilenet_v2: block_16 and the top convolution after it', () => {
        const d = describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [96, 96, 3] });
        expect(trainable(d, 1)).toEqual([
            'block_16_expand', 'block_16_expand_BN', 'block_16_expand_relu', 'block_16_depthwise', 'block_16_depthwise_BN',
            'block_16_depthwise_relu', 'block_16_project', 'block_16_project_BN', 'Conv_1', 'Conv_1_bn', 'out_relu'
        ]);
        expect(trainable(d, 2)[0]).toBe('block_15_expand');
    });

    test('small_cnn: one block per filter count', () => {
        const d = describeZoo('small_cnn', { filters: [32, 64, 128], inputShape: [28, 28, 1] });
        expect(trainable(d, 1)).toEqual(['block3_conv', 'block3_bn', 'block3_relu', 'block3_pool']);
        const mask = applyFreezeOps(d, initialMask(d), [{ op: 'freeze_all' }, { op: 'unfreeze_last', count: 1, unit: 'blocks' }]);
        expect(trainableParams(d, mask)).toBe(9 * 64 * 128 + 4 * 128);
    });

    test('resnet50, mobilenet_v1, vgg16: the last residual block / depthwise block / conv block', () => {
        expect(trainable(describeZoo('resnet50', { inputShape: [64, 64, 3] }), 1)[0]).toBe('conv5_block3_1_conv');
        expect(trainable(describeZoo('resnet50', { inputShape: [64, 64, 3] }), 1).at(-1)).toBe('conv5_block3_out');
        expect(trainable(describeZoo('mobilenet_v1', { inputShape: [64, 64, 3] }), 1)).toEqual([
            'conv_dw_13', 'conv_dw_13_bn', 'conv_dw_13_relu', 'conv_pw_13', 'conv_pw_13_bn', 'conv_pw_13_relu'
        ]);
        expect(trainable(describeZoo('vgg16', { inputShape: [64, 64, 3] }), 1)).toEqual(['block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool']);
    });

    test('blocks are in order, disjoint and inside the layer list', () => {
        for (const arch of ['small_cnn', 'mobilenet_v1', 'mobilenet_v2', 'resnet18', 'resnet50', 'vgg16'] as const) {
            const d = describeZoo(arch, { inputShape: [64, 64, 3] });
            d.blocks.forEach((b, i) => {
                expect(b.first).toBeLessThanOrEqual(b.last);
                if (i > 0) expect(b.first).toBe(d.blocks[i - 1].last + 1);
                for (let j = b.first; j <= b.last; j++) expect(d.layers[j].block).toBe(b.name);
            });
        }
    });
});
