// The tfjs builder against the catalog: tfjs' own countParams(), layer names and output shapes
// equal the description for every architecture; small models also run forward.
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import type { BackboneDescription } from '../../src/core/zoo/catalog-types.js';
import { describeModelJsonContent } from '../../src/core/zoo/model-json.js';

function expectSame(model: tf.LayersModel, d: BackboneDescription): void {
    expect(model.countParams()).toBe(d.params);
    expect(model.layers.map((l) => l.name)).toEqual(d.layers.map((l) => l.name));
    for (const info of d.layers) {
        const shape = model.getLayer(info.name).outputShape as (number | null)[];
        expect([info.name, shape.slice(1)]).toEqual([info.name, info.outputShape]);
        expect([info.name, model.getLayer(info.name).countParams()]).toEqual([info.name, info.params]);
    }
}

describe('built models equal their descriptions', () => {
    const forward: [string, BackboneDescription][] = [
        ['small_cnn 28×28×1', describeZoo('small_cnn', { filters: [8, 16], inputShape: [28, 28, 1] })],
        ['mobilenet_v1 α0.25 32×32×3', describeZoo('mobilenet_v1', { alpha: 0.25, inputShape: [32, 32, 3] })],
        ['mobilenet_v2 α0.35 33×33×1 (odd size, grayscale)', describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [33, 33, 1] })],
        ['resnet18 32×32×3', describeZoo('resnet18', { inputShape: [32, 32, 3] })]
    ];
    for (const [label, d] of forward) {
        test(`${label}: params, names, shapes, forward pass`, () => {
            const model = buildBackbone(d, { seed: 1 });
            expectSame(model, d);
            const y = tf.tidy(() => (model.predict(tf.ones([2, ...d.inputShape])) as tf.Tensor).shape);
            expect(y).toEqual([2, ...d.featureShape]);
            model.dispose();
        });
    }

    test('resnet50 and vgg16 build with Keras parameter counts (no forward pass)', () => {
        for (const arch of ['resnet50', 'vgg16'] as const) {
            const d = describeZoo(arch, { inputShape: [32, 32, 3] });
            const model = buildBackbone(d, { seed: 0 });
            expectSame(model, d);
            expect(model.countParams()).toBe(arch === 'resnet50' ? 23_587_712 : 14_714_688);
            model.dispose();
        }
    });

    test('cut at builds only up to the cut; zoo options build directly; a seed repeats the weights', () => {
        const model = buildBackbone({ arch: 'mobilenet_v2', alpha: 0.35, inputShape: [32, 32, 3], cutAt: 'block_3_expand_relu' }, { seed: 7 });
        expect(model.layers.at(-1)!.name).toBe('block_3_expand_relu');
        expect(model.outputs[0].shape).toEqual([null, 8, 8, 6 * 8]); // 6 × block_2's int(24·0.35) → 8 channels
        const again = buildBackbone({ arch: 'mobilenet_v2', alpha: 0.35, inputShape: [32, 32, 3], cutAt: 'block_3_expand_relu' }, { seed: 7 });
        const kernel = (m: tf.LayersModel) => Array.from(m.getLayer('block_1_expand').getWeights()[0].dataSync());
        expect(kernel(again)).toEqual(kernel(model));
        model.dispose();
        again.dispose();
    });

    test('a model tfjs saves reads back (model.json) as the same description', async () => {
        const d = describeZoo('mobilenet_v2', { alpha: 0.35, inputShape: [32, 32, 3] });
        const model = buildBackbone(d);
        let json: unknown;
        await model.save(tf.io.withSaveHandler(async (artifacts) => {
            json = { format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: artifacts.weightSpecs }] };
            return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }));
        const read = describeModelJsonContent(JSON.parse(JSON.stringify(json)), 'saved/model.json');
        expect(read.layers.map((l) => [l.name, l.className, l.outputShape, l.params, l.block])).toEqual(d.layers.map((l) => [l.name, l.className, l.outputShape, l.params, l.block]));
        expect(read.blocks).toEqual(d.blocks);
        expect(read.params).toBe(d.params);
        expect(read.featureLayer).toBe('out_relu');
        model.dispose();
    });
});
