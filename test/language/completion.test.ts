// Completion: keywords in context, names across files, alphas, layer names of the chosen
// backbone, paths relative to the spec, monitors.
import { afterAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionAt, createTestServices, examplePath, hoverAt, labels } from './lsp-test-helpers.js';

const services = createTestServices();

const withMobilenet = (body: string): string => `dataset d {
  source folder "data/fashion5"
  image 96 x 96 rgb
  split train 80%, val 20%
}

experiment e {
  data d
  backbone mobilenet_v2 alpha 0.35
${body}
}
`;

describe('keywords in context', () => {
    test('an empty file offers the top-level declarations', async () => {
        expect(labels(await completionAt(services, '<|>'))).toEqual(['dataset', 'experiment', 'sweep']);
    });

    test('a fresh line in an experiment offers exactly the statements that may start there', async () => {
        const items = labels(await completionAt(services, 'experiment e {\n  optimizer adam lr 1e-3\n  <|>\n}'));
        expect(items).toEqual(expect.arrayContaining(['data', 'backbone', 'freeze', 'unfreeze', 'head', 'stage', 'metrics', 'evaluate', 'export']));
        // Options of the previous statement belong on its own line in the canonical layout.
        expect(items).not.toContain('momentum');
        expect(items).not.toContain('dataset');
    });

    test('after a statement on the same line its options are offered too', async () => {
        const items = labels(await completionAt(services, 'experiment e {\n  optimizer sgd lr 1e-2 <|>\n}'));
        expect(items).toEqual(expect.arrayContaining(['momentum', 'nesterov', 'data']));
    });

    test('a train block offers only train settings', async () => {
        expect(labels(await completionAt(services, 'experiment e {\n  train {\n    epochs 3\n    <|>\n  }\n}'))).toEqual(['epochs', 'batch', 'early_stop', 'checkpoint', 'clip_norm']);
    });

    test('a dataset block offers dataset statements', async () => {
        const items = labels(await completionAt(services, 'dataset d {\n  <|>\n}'));
        expect(items).toEqual(expect.arrayContaining(['source', 'task', 'classes', 'image', 'normalize', 'split', 'shots', 'augment', 'balance']));
        expect(items).not.toContain('backbone');
    });

    test('metric names after `metrics`', async () => {
        expect(labels(await completionAt(services, 'experiment e {\n  metrics accuracy, <|>\n}'))).toEqual(
            expect.arrayContaining(['accuracy', 'top', 'precision', 'recall', 'f1', 'auc', 'map', 'confusion'])
        );
    });
});

describe('names', () => {
    const other = { path: examplePath('other'), text: 'dataset cats {\n  source mnist\n}\n\nexperiment pre {\n  data cats\n  backbone small_cnn\n}\n' };

    test('`data` offers datasets declared in another file', async () => {
        expect(labels(await completionAt(services, 'experiment e {\n  data <|>\n}', examplePath(), [other]))).toEqual(['cats']);
    });

    test('`backbone` offers the zoo and other experiments, never the experiment itself', async () => {
        const items = labels(await completionAt(services, 'experiment e {\n  backbone <|>\n}', examplePath(), [other]));
        expect(items).toEqual(expect.arrayContaining(['small_cnn', 'mobilenet_v1', 'mobilenet_v2', 'resnet18', 'resnet50', 'vgg16', 'from', 'pre']));
        expect(items).not.toContain('e');
    });

    test('`sweep … of` and `adapt to` / `evaluate on` offer experiments and datasets', async () => {
        expect(labels(await completionAt(services, 'sweep s of <|>', examplePath(), [other]))).toEqual(['pre']);
        expect(labels(await completionAt(services, 'experiment e {\n  adapt to <|>\n}', examplePath(), [other]))).toEqual(['cats']);
        expect(labels(await completionAt(services, 'experiment e {\n  evaluate on <|>\n}', examplePath(), [other]))).toEqual(expect.arrayContaining(['test', 'cats']));
    });
});

describe('backbone options and layers', () => {
    test('zoo options only where the architecture has them', async () => {
        const mobilenet = labels(await completionAt(services, 'experiment e {\n  backbone mobilenet_v2 <|>\n}'));
        expect(mobilenet).toEqual(expect.arrayContaining(['alpha', 'weights', 'cut']));
        expect(mobilenet).not.toContain('filters');
        const cnn = labels(await completionAt(services, 'experiment e {\n  backbone small_cnn <|>\n}'));
        expect(cnn).toEqual(expect.arrayContaining(['filters', 'weights', 'cut']));
        expect(cnn).not.toContain('alpha');
    });

    test('alphas the chosen MobileNet offers', async () => {
        expect(labels(await completionAt(services, 'experiment e {\n  backbone mobilenet_v2 alpha <|>\n}'))).toEqual(['0.35', '0.5', '0.75', '1', '1.3', '1.4']);
        expect(labels(await completionAt(services, 'experiment e {\n  backbone mobilenet_v1 alpha <|>\n}'))).toEqual(['0.25', '0.5', '0.75', '1']);
    });

    test('layer names inside `unfreeze from "…"`, replacing the string content', async () => {
        const items = await completionAt(services, withMobilenet('  freeze all\n  unfreeze from "block_1<|>"'));
        const names = labels(items);
        expect(names).toContain('block_13_expand');
        expect(names[0]).toBe('input_1');
        expect(names.at(-1)).toBe('out_relu');
        const item = items.find((i) => i.label === 'block_13_expand')!;
        expect(item.textEdit && 'range' in item.textEdit ? item.textEdit.newText : undefined).toBe('block_13_expand');
        expect(item.detail).toMatch(/Conv2D/);
    });

    test('`freeze matching` offers a glob per block and per layer kind, with what it matches', async () => {
        const items = await completionAt(services, withMobilenet('  freeze matching "<|>"'));
        const byLabel = new Map(items.map((i) => [i.label, i.detail]));
        expect(byLabel.get('block_13_*')).toBe('matches 9 layers');
        expect(byLabel.get('*_BN')).toMatch(/^matches \d+ layers$/);
        expect(byLabel.has('*_relu')).toBe(true);
    });

    test('layer names without quotes yet insert a quoted string', async () => {
        const items = await completionAt(services, withMobilenet('  freeze until <|>'));
        const item = items.find((i) => i.label === 'Conv_1')!;
        expect(item.textEdit && 'range' in item.textEdit ? item.textEdit.newText : undefined).toBe('"Conv_1"');
    });

    test('layer names while the string is still unterminated', async () => {
        expect(labels(await completionAt(services, withMobilenet('  freeze until "blo<|>')))).toContain('block_16_project');
    });

    test('`cut at` offers the layers of the uncut backbone even while its name is half typed', async () => {
        const spec = 'dataset d {\n  image 28 x 28 grayscale\n}\n\nexperiment e {\n  data d\n  backbone small_cnn filters 8, 16 cut at "block<|>"\n}\n';
        expect(labels(await completionAt(services, spec))).toEqual([
            'input_1', 'block1_conv', 'block1_bn', 'block1_relu', 'block1_pool', 'block2_conv', 'block2_bn', 'block2_relu', 'block2_pool'
        ]);
    });

    test('layers of another experiment\'s backbone', async () => {
        const other = { path: examplePath('pre'), text: 'experiment pre {\n  backbone small_cnn filters 4\n}\n' };
        expect(labels(await completionAt(services, 'experiment e {\n  backbone pre\n  freeze until "<|>"\n}', examplePath(), [other]))).toEqual(['input_1', 'block1_conv', 'block1_bn', 'block1_relu', 'block1_pool']);
    });
});

describe('layers from a model.json on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-completion-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const layer = (name: string, className: string, config: object, from?: string) => ({
        class_name: className,
        name,
        config: { name, ...config },
        inbound_nodes: from ? [[[from, 0, 0, {}]]] : []
    });
    mkdirSync(join(dir, 'exported'));
    writeFileSync(join(dir, 'exported', 'model.json'), JSON.stringify({
        modelTopology: {
            class_name: 'Functional',
            config: {
                layers: [
                    layer('input_1', 'InputLayer', { batch_input_shape: [null, 16, 16, 3] }),
                    layer('conv_a', 'Conv2D', { filters: 4, kernel_size: 3, padding: 'same' }, 'input_1'),
                    layer('pool_a', 'MaxPooling2D', { pool_size: 2 }, 'conv_a'),
                    layer('conv_b', 'Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }, 'pool_a')
                ],
                output_layers: [['conv_b', 0, 0]]
            }
        }
    }));
    const spec = 'experiment e {\n  backbone from "exported/model.json"\n  freeze until "<|>"\n}\n';

    test('`freeze until` offers the layers of the file, relative to the spec', async () => {
        expect(labels(await completionAt(services, spec, join(dir, 'spec.graft')))).toEqual(['input_1', 'conv_a', 'pool_a', 'conv_b']);
    });

    test('hover on one of them shows its shape from the file', async () => {
        const md = await hoverAt(services, spec.replace('"<|>"', '"po<|>ol_a"'), join(dir, 'spec.graft'));
        expect(md).toContain('**`pool_a`** — layer #2 of 4');
        expect(md).toContain('output [8, 8, 4]');
    });

    test('hover on the model.json path describes the backbone it holds', async () => {
        const md = await hoverAt(services, spec.replace('"exported/model.json"', '"exported/<|>model.json"'), join(dir, 'spec.graft'));
        expect(md).toContain('4 layers');
        expect(md).toContain('feature output `conv_b` [8, 8, 8]');
    });

    test('the `backbone from` path completes folders and .json files', async () => {
        expect(labels(await completionAt(services, 'experiment e {\n  backbone from "exported/<|>"\n}\n', join(dir, 'spec.graft')))).toEqual(['model.json']);
    });
});

describe('paths and monitors', () => {
    test('folders relative to the spec for `source folder`', async () => {
        // examples/runs appears once the main job has run in this checkout, examples/out once
        // `npm run test:export` has (both git-ignored; a run's model.json is a fair path to offer).
        expect(labels(await completionAt(services, 'dataset d {\n  source folder "<|>"\n}')).filter((l) => l !== 'runs' && l !== 'out')).toEqual(['data']);
        expect(labels(await completionAt(services, 'dataset d {\n  source folder "data/<|>"\n}'))).toEqual(['fashion5', 'fashion5-noise', 'fashion5-shifted', 'scenes']);
    });

    test('csv files and folders for `source csv`', async () => {
        expect(labels(await completionAt(services, 'dataset d {\n  source csv "data/scenes/<|>" images "x"\n}'))).toEqual(['images', 'labels.csv']);
    });

    test('the path being typed replaces only its last segment', async () => {
        const items = await completionAt(services, 'dataset d {\n  source folder "data/fa<|>"\n}');
        const edit = items.find((i) => i.label === 'fashion5')!.textEdit;
        expect(edit && 'range' in edit ? edit.range.start.character : -1).toBe('  source folder "data/'.length);
    });

    test('class names of the source for `classes "…"`', async () => {
        const items = await completionAt(services, 'dataset d {\n  source folder "data/fashion5"\n  classes "bag", <|>\n}');
        expect(labels(items)).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        expect(items[0].detail).toBe('100 images');
    });

    test('CSV label columns for `output … labels "…"`', async () => {
        const spec = 'dataset s {\n  source csv "data/scenes/labels.csv" images "data/scenes/images"\n}\n\nexperiment e {\n  data s\n  head count {\n    output softmax labels "<|>"\n  }\n}\n';
        expect(labels(await completionAt(services, spec))).toEqual(expect.arrayContaining(['labels', 'count']));
    });

    test('monitors from the experiment\'s metrics', async () => {
        const items = labels(await completionAt(services, 'experiment e {\n  metrics accuracy, f1 macro\n  train {\n    early_stop <|>\n  }\n}'));
        expect(items).toEqual(['val_loss', 'val_accuracy', 'val_f1', 'loss']);
    });
});
