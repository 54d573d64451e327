// The zoo catalog against the Keras applications: parameter counts (Keras' model.count_params()
// with include_top=False), layer counts, names, blocks and output shapes.
import { describe, expect, test } from 'vitest';
import { describeZoo, ZOO_INFO, ZooError } from '../../src/core/zoo/catalog.js';
import { ZOO_ARCHS } from '../../src/core/zoo/catalog.js';
import { makeDivisible } from '../../src/core/zoo/archs/mobilenet.js';

const at224 = [224, 224, 3];

describe('parameter counts equal the Keras applications (include_top=False)', () => {
    const cases: [Parameters<typeof describeZoo>[0], number | undefined, number][] = [
        ['mobilenet_v2', 1.0, 2_257_984],
        ['mobilenet_v2', 0.35, 410_208],
        ['mobilenet_v2', 0.5, 706_224],
        ['mobilenet_v2', 0.75, 1_382_064],
        ['mobilenet_v2', 1.4, 4_363_712],
        ['mobilenet_v1', 1.0, 3_228_864],
        ['mobilenet_v1', 0.25, 218_544],
        ['resnet50', undefined, 23_587_712],
        ['vgg16', undefined, 14_714_688]
    ];
    for (const [arch, alpha, params] of cases) {
        test(`${arch}${alpha !== undefined ? ` α${alpha}` : ''}: ${params}`, () => {
            expect(describeZoo(arch, { alpha, inputShape: at224 }).params).toBe(params);
        });
    }
});

describe('layer lists follow Keras', () => {
    test('mobilenet_v2: 154 layers (as Keras model.layers), names, blocks, output', () => {
        const d = describeZoo('mobilenet_v2', { inputShape: at224 });
        const names = d.layers.map((l) => l.name);
        expect(names.length).toBe(154);
        expect(names.slice(0, 12)).toEqual([
            'input_1', 'Conv1', 'bn_Conv1', 'Conv1_relu',
            'expanded_conv_depthwise', 'expanded_conv_depthwise_BN', 'expanded_conv_depthwise_relu',
            'expanded_conv_project', 'expanded_conv_project_BN',
            'block_1_expand', 'block_1_expand_BN', 'block_1_expand_relu'
        ]);
        expect(names).toContain('block_1_pad');
        expect(names).toContain('block_2_add');
        expect(names).not.toContain('block_3_add'); // stride 2: no residual
        expect(names.slice(-4)).toEqual(['block_16_project_BN', 'Conv_1', 'Conv_1_bn', 'out_relu']);
        expect(d.featureLayer).toBe('out_relu');
        expect(d.featureShape).toEqual([7, 7, 1280]);
        expect(d.blocks.map((b) => b.name)).toEqual(['Conv1', 'expanded_conv', ...Array.from({ length: 16 }, (_, i) => `block_${i + 1}`)]);
        const last = d.blocks.at(-1)!;
        expect(d.layers[last.first].name).toBe('block_16_expand');
        expect(d.layers[last.last].name).toBe('block_16_project_BN');
        expect(d.layers.find((l) => l.name === 'Conv_1')!.block).toBeUndefined();
        expect(d.layers.find((l) => l.name === 'block_13_expand')!.outputShape).toEqual([14, 14, 576]);
        expect(d.layers.find((l) => l.name === 'block_13_pad')!.outputShape).toEqual([15, 15, 576]);
        expect(d.layers.find((l) => l.name === 'block_13_depthwise')!.outputShape).toEqual([7, 7, 576]);
    });

    test('mobilenet_v2 α0.35 channels are Keras\' _make_divisible values', () => {
        const d = describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [96, 96, 3] });
        const channels = (name: string): number => d.layers.find((l) => l.name === name)!.outputShape[2];
        expect(channels('Conv1')).toBe(16);
        expect(channels('expanded_conv_project')).toBe(8);
        expect(channels('block_16_project')).toBe(112);
        expect(channels('out_relu')).toBe(1280);
        expect(d.featureShape).toEqual([3, 3, 1280]);
        expect(makeDivisible(320 * 1.4)).toBe(448);
    });

    test('mobilenet_v1: conv1 …, conv_dw_1 …, conv_pw_13_relu; alpha scales channels', () => {
        const d = describeZoo('mobilenet_v1', { alpha: 0.5, inputShape: at224 });
        const names = d.layers.map((l) => l.name);
        expect(names.slice(0, 10)).toEqual(['input_1', 'conv1', 'conv1_bn', 'conv1_relu', 'conv_dw_1', 'conv_dw_1_bn', 'conv_dw_1_relu', 'conv_pw_1', 'conv_pw_1_bn', 'conv_pw_1_relu']);
        expect(names).toContain('conv_pad_2');
        expect(d.featureLayer).toBe('conv_pw_13_relu');
        expect(d.featureShape).toEqual([7, 7, 512]);
        expect(d.blocks.length).toBe(14);
        expect(d.blocks.at(-1)).toMatchObject({ name: 'block_13' });
        expect(d.layers[d.blocks.at(-1)!.first].name).toBe('conv_dw_13');
    });

    test('resnet50: 175 layers in Keras order, stem and bottleneck names', () => {
        const d = describeZoo('resnet50', { inputShape: at224 });
        const names = d.layers.map((l) => l.name);
        expect(names.length).toBe(175);
        expect(names.slice(0, 7)).toEqual(['input_1', 'conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool']);
        expect(names.slice(7, 19)).toEqual([
            'conv2_block1_1_conv', 'conv2_block1_1_bn', 'conv2_block1_1_relu', 'conv2_block1_2_conv', 'conv2_block1_2_bn',
            'conv2_block1_2_relu', 'conv2_block1_0_conv', 'conv2_block1_3_conv', 'conv2_block1_0_bn', 'conv2_block1_3_bn',
            'conv2_block1_add', 'conv2_block1_out'
        ]);
        expect(d.featureLayer).toBe('conv5_block3_out');
        expect(d.featureShape).toEqual([7, 7, 2048]);
        expect(d.blocks.length).toBe(1 + 3 + 4 + 6 + 3);
    });

    test('resnet18: basic blocks in Keras ResNet naming', () => {
        const d = describeZoo('resnet18', { inputShape: at224 });
        expect(d.blocks.map((b) => b.name)).toEqual([
            'conv1', 'conv2_block1', 'conv2_block2', 'conv3_block1', 'conv3_block2', 'conv4_block1', 'conv4_block2', 'conv5_block1', 'conv5_block2'
        ]);
        expect(d.layers.some((l) => l.name === 'conv2_block1_0_conv')).toBe(false); // same shape: identity shortcut
        expect(d.layers.find((l) => l.name === 'conv3_block1_0_conv')!.outputShape).toEqual([28, 28, 128]);
        expect(d.featureShape).toEqual([7, 7, 512]);
        // torchvision's 11,176,512 without fc counts 2 numbers per BatchNorm channel; Keras counts 4 (4,800 channels).
        expect(d.params).toBe(11_176_512 + 2 * 4_800);
    });

    test('vgg16: block1_conv1 … block5_pool', () => {
        const d = describeZoo('vgg16', { inputShape: at224 });
        expect(d.layers.map((l) => l.name)).toEqual([
            'input_1', 'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2', 'block2_pool',
            'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_pool', 'block4_conv1', 'block4_conv2', 'block4_conv3', 'block4_pool',
            'block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool'
        ]);
        expect(d.featureShape).toEqual([7, 7, 512]);
    });

    test('small_cnn: one block per filter count, hand-computed shapes and parameters', () => {
        const d = describeZoo('small_cnn', { filters: [32, 64, 128], inputShape: [28, 28, 1] });
        expect(d.layers.map((l) => l.name)).toEqual([
            'input_1',
            'block1_conv', 'block1_bn', 'block1_relu', 'block1_pool',
            'block2_conv', 'block2_bn', 'block2_relu', 'block2_pool',
            'block3_conv', 'block3_bn', 'block3_relu', 'block3_pool'
        ]);
        expect(d.blocks).toEqual([
            { name: 'block1', first: 1, last: 4 },
            { name: 'block2', first: 5, last: 8 },
            { name: 'block3', first: 9, last: 12 }
        ]);
        expect(d.layers.map((l) => l.outputShape[0])).toEqual([28, 28, 28, 28, 14, 14, 14, 14, 7, 7, 7, 7, 3]);
        // conv 3·3·in·out without bias + BatchNorm 4·out
        expect(d.params).toBe(9 * 1 * 32 + 4 * 32 + 9 * 32 * 64 + 4 * 64 + 9 * 64 * 128 + 4 * 128);
        expect(d.featureLayer).toBe('block3_pool');
        expect(d.featureShape).toEqual([3, 3, 128]);
        expect(describeZoo('small_cnn', { inputShape: [32, 32, 3] }).filters).toEqual(ZOO_INFO.small_cnn.defaultFilters);
    });
});

describe('FLOPs per image match the papers\' multiply-add counts', () => {
    /** Multiply-adds of the convolutions (a multiply-add is 2 FLOPs). */
    const convMacs = (arch: Parameters<typeof describeZoo>[0], alpha?: number): number =>
        describeZoo(arch, { alpha, inputShape: at224 }).layers.filter((l) => l.className.endsWith('Conv2D')).reduce((s, l) => s + l.flops! / 2, 0);
    // The papers' totals include the 1000-way classifier (features × 1000 multiply-adds), which the backbone has not.
    test.each([
        ['mobilenet_v1', 1.0, 569e6 - 1024e3, 0.005], // Howard et al. table 6
        ['mobilenet_v2', 1.0, 300e6 - 1280e3, 0.005], // Sandler et al. table 3
        ['mobilenet_v2', 0.35, 59e6 - 1280e3, 0.02],
        ['resnet50', undefined, 3.8e9, 0.03] // He et al. table 1: 3.8 × 10^9
    ] as const)('%s α%s', (arch, alpha, expected, tolerance) => {
        expect(Math.abs(convMacs(arch, alpha) - expected) / expected).toBeLessThan(tolerance);
    });

    test('the total is the sum over layers and follows a cut', () => {
        const d = describeZoo('small_cnn', { filters: [8], inputShape: [4, 4, 1] });
        // conv 2·9·1·(4·4·8) + BN 2·128 + relu 128 + pool 4·(2·2·8)
        expect(d.layers.map((l) => l.flops)).toEqual([0, 2304, 256, 128, 128]);
        expect(d.flops).toBe(2304 + 256 + 128 + 128);
    });
});

describe('inputs, cut at and errors', () => {
    test('grayscale input changes only the first convolution', () => {
        for (const arch of ZOO_ARCHS) {
            const rgb = describeZoo(arch, { inputShape: at224 });
            const gray = describeZoo(arch, { inputShape: [224, 224, 1] });
            const firstConv = rgb.layers.find((l) => l.className === 'Conv2D')!;
            const k = firstConv.config!.kernelSize!;
            expect(rgb.params - gray.params).toBe(k[0] * k[1] * 2 * firstConv.outputShape[2]);
            expect(gray.featureShape).toEqual(rgb.featureShape);
        }
    });

    test('mobilenet_v2 on odd sizes pads like Keras correct_pad', () => {
        const d = describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [28, 28, 1] });
        expect(d.layers.find((l) => l.name === 'block_3_pad')!.outputShape.slice(0, 2)).toEqual([9, 9]);
        expect(d.featureShape).toEqual([1, 1, 1280]);
    });

    test('cut at keeps the layer and what it depends on', () => {
        const d = describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [96, 96, 3], cutAt: 'block_13_expand_relu' });
        expect(d.layers.at(-1)!.name).toBe('block_13_expand_relu');
        expect(d.featureLayer).toBe('block_13_expand_relu');
        expect(d.featureShape).toEqual([6, 6, 6 * 32]); // expansion 6 × block_12 channels (int(96·0.35) = 33 → 32)
        expect(d.blocks.at(-1)).toEqual({ name: 'block_13', first: d.layers.length - 3, last: d.layers.length - 1 });
        // A shortcut branch: only its ancestors remain, renumbered.
        const r = describeZoo('resnet50', { inputShape: at224, cutAt: 'conv2_block1_0_conv' });
        expect(r.layers.map((l) => l.name)).toEqual(['input_1', 'conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool', 'conv2_block1_0_conv']);
        expect(r.layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    test('errors say what is wrong', () => {
        expect(() => describeZoo('mobilenet_v2', { alpha: 0.6, inputShape: at224 })).toThrow(/offers alpha 0.35, 0.5, 0.75, 1, 1.3, 1.4, not 0.6/);
        expect(() => describeZoo('resnet50', { alpha: 0.5, inputShape: at224 })).toThrow(ZooError);
        expect(() => describeZoo('vgg16', { filters: [8], inputShape: at224 })).toThrow(/only small_cnn/);
        expect(() => describeZoo('mobilenet_v2', { inputShape: at224, cutAt: 'block_99_add' })).toThrow(/no layer "block_99_add" \(did you mean "block_9_add"/);
        expect(() => describeZoo('vgg16', { inputShape: [28, 28, 1] })).toThrow(/layer "block5_pool".*too small/);
        expect(() => describeZoo('small_cnn', { inputShape: [28, 28] })).toThrow(/height, width, channels/);
        expect(() => describeZoo('small_cnn', { filters: [], inputShape: at224 })).toThrow(/at least one/);
    });

    test('describing is fast enough for the editor (resnet50 < 100 ms even on a busy machine)', () => {
        describeZoo('resnet50', { inputShape: at224 });
        const start = performance.now();
        describeZoo('resnet50', { inputShape: at224 });
        expect(performance.now() - start).toBeLessThan(100);
    });
});
