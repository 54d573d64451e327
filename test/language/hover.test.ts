// Hover: backbones, layer names with their freezing state, datasets with what is on disk,
// experiments and keywords.
import { describe, expect, test } from 'vitest';
import { createTestServices, examplePath, hoverAt } from './lsp-test-helpers.js';

const services = createTestServices();

const mobilenet = (body: string): string => `dataset d {
  source folder "data/fashion5"
  image 96 x 96 rgb
  split train 70%, val 15%, test 15% stratified
}

experiment e {
  data d
  backbone mobilenet_v2 alpha 0.35 weights imagenet
${body}
}
`;

describe('backbones and layers', () => {
    test('a zoo backbone shows layers, parameters, input and feature output', async () => {
        const md = await hoverAt(services, mobilenet('').replace('mobilenet_v2', 'mobile<|>net_v2'));
        expect(md).toContain('mobilenet_v2 α0.35');
        expect(md).toMatch(/154 layers/);
        expect(md).toMatch(/410,208 parameters/);
        expect(md).toContain('input [96, 96, 3] (architecture default [224, 224, 3])');
        expect(md).toContain('feature output `out_relu` [3, 3, 1280]');
    });

    test('a layer name shows index, class, shape, parameters, block and that `freeze all` froze it', async () => {
        const md = await hoverAt(services, mobilenet('  freeze all\n  stage ft {\n    unfreeze from "block_13_<|>expand"\n  }'));
        expect(md).toContain('**`block_13_expand`** — layer #116 of 154');
        expect(md).toContain('Conv2D in block `block_13`');
        expect(md).toContain('output [6, 6, 192], 6,144 parameters');
        expect(md).toContain('Before this statement (stage `ft`) it is frozen; after it, it trains.');
        expect(md).toContain('After it 38 of 154 backbone layers train.');
    });

    test('without freezing above, every layer trains before `freeze until`', async () => {
        const md = await hoverAt(services, mobilenet('  freeze until "Conv<|>1"'));
        expect(md).toContain('layer #1 of 154');
        expect(md).toContain('it trains; after it, it is frozen');
        expect(md).toContain('After it 152 of 154 backbone layers train.');
    });

    test('a stage name and the train block show what trains in them', async () => {
        const spec = mobilenet('  freeze all\n  train {\n    epochs 1\n  }\n  stage ft {\n    unfreeze last 2 blocks\n  }');
        const ft = await hoverAt(services, spec.replace('stage ft', 'stage f<|>t'));
        expect(ft).toContain('**stage** `ft` — starts from the weights the previous stage ended with');
        expect(ft).toMatch(/- (\d+) of 154 backbone layers train \([\d,]+ of 410,208 backbone parameters\)/);
        const train = await hoverAt(services, spec.replace('  train {', '  tr<|>ain {'));
        expect(train).toContain('- 0 of 154 backbone layers train (0 of 410,208 backbone parameters)');
    });

    test('an unknown layer name says so', async () => {
        expect(await hoverAt(services, mobilenet('  freeze until "block_99<|>_add"'))).toContain('has no layer of that name');
    });

    test('`cut at` tells how many layers remain', async () => {
        const md = await hoverAt(services, 'experiment e {\n  backbone small_cnn filters 8, 16 cut at "block1_<|>pool"\n}');
        expect(md).toContain('layer #4 of 9');
        expect(md).toContain('the backbone keeps 5 layers');
    });

    test('`freeze layers a..b` names the layers at both ends', async () => {
        const md = await hoverAt(services, 'experiment e {\n  backbone small_cnn filters 8, 16\n  freeze layers 0..<|>4\n}');
        expect(md).toBe('**layers 0..4** of small_cnn [8, 16]: #0 `input_1` … #4 `block1_pool` — 5 of 9 layers');
    });

    test('a glob shows what it matches', async () => {
        const md = await hoverAt(services, 'experiment e {\n  backbone small_cnn filters 8, 16\n  freeze matching "*_<|>bn"\n}');
        expect(md).toContain('matches 2 of 9 layers');
        expect(md).toContain('`block1_bn`, `block2_bn`');
    });
});

describe('datasets and experiments', () => {
    test('a dataset reference shows its source, classes and image counts from disk', async () => {
        const md = await hoverAt(services, mobilenet('').replace('  data d', '  data <|>d'));
        expect(md).toContain('**dataset** `d`');
        expect(md).toContain('source: folder `data/fashion5`');
        expect(md).toContain('5 classes, 500 images: bag (100), sandal (100), sneaker (100), trouser (100), tshirt (100)');
        expect(md).toContain('split train 70%, val 15%, test 15% (stratified)');
    });

    test('a CSV source counts tags for multi-label data', async () => {
        const md = await hoverAt(services, 'dataset <|>s {\n  source csv "data/scenes/labels.csv" images "data/scenes/images"\n  task multi_label\n}\n');
        expect(md).toContain('task: multi_label');
        expect(md).toMatch(/5 classes, [\d,]+ tags: bag/);
    });

    test('a missing folder is flagged', async () => {
        expect(await hoverAt(services, 'dataset s {\n  source folder "data/nowhere<|>"\n}\n')).toContain('**not found**');
    });

    test('MNIST with a class range', async () => {
        const md = await hoverAt(services, 'dataset <|>digits {\n  source mnist\n  classes 0..4\n}\n');
        expect(md).toContain('the MNIST digits that ship with the tool');
        expect(md).toMatch(/5 classes, [\d,]+ images: 0 \(/);
    });

    test('an experiment reference in another file shows its data and backbone', async () => {
        const other = { path: examplePath('pre'), text: 'dataset m {\n  source mnist\n  image 28 x 28 grayscale\n}\n\nexperiment pre {\n  data m\n  backbone small_cnn filters 8, 16\n  stage ft {\n    epochs 1\n  }\n}\n' };
        const md = await hoverAt(services, 'experiment e {\n  backbone p<|>re\n}\n', examplePath(), [other]);
        expect(md).toContain('**experiment** `pre`');
        expect(md).toContain('data `m`');
        expect(md).toContain('backbone small_cnn [8, 16]: 9 layers');
        expect(md).toContain('stages: train, ft');
    });
});

describe('keywords', () => {
    test('a keyword shows its line from the reference, by context', async () => {
        expect(await hoverAt(services, 'dataset d {\n  sh<|>ots 5 per class\n}')).toMatch(/^\*\*shots\*\* — Few-shot/);
        expect(await hoverAt(services, 'experiment e {\n  batch<|>norm frozen\n}')).toContain('inference mode');
        expect(await hoverAt(services, 'experiment e {\n  head {\n    batch<|>norm\n  }\n}')).toContain('BatchNormalization layer in the head');
    });

    test('nothing on comments and whitespace', async () => {
        expect(await hoverAt(services, '// a co<|>mment\ndataset d {\n}')).toBeUndefined();
    });
});
