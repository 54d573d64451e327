// Heads, losses, optimizers, learning rates, train/stage settings, monitors, evaluation and sweeps.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, defineCodeCases, listDiagnostics, removeFixture, spec, validate } from './validation-fixture.js';

const HEAD = '  head {\n    pool average\n    output softmax\n  }';
const head = (body: string): Array<[string, string]> => [[HEAD, `  head {\n${body}\n  }`]];
const TRAIN_END = '    batch 4\n  }\n';
const after = (text: string): [string, string] => [TRAIN_END, `${TRAIN_END}${text}\n`];
const stage = (optimizer: string): [string, string] => after(`  stage ft {\n    unfreeze last 1 blocks\n    ${optimizer}\n    epochs 1\n  }`);
const noVal = ['split train 60%, val 20%, test 20%', 'split train 80%, test 20%'] as [string, string];
const noTest = ['split train 60%, val 20%, test 20%', 'split train 80%, val 20%'] as [string, string];
const tagsDataset = `dataset tags {
  source csv "data/tags/labels.csv" images "data/tags/images"
  task multi_label
  image 32 x 32 rgb
  split train 80%, val 20%
}
`;
const tagsExperiment = (heads: string): string => `${tagsDataset}
experiment t {
  data tags
  backbone small_cnn filters 8
${heads}
}
`;
const sweep = (items: string): [string, string] => after(`}\n\nsweep s of e {\n${items}`);

defineCodeCases('training', [
    { code: 'lr-range', name: 'an optimizer lr above 1', bad: spec(['lr 1e-3', 'lr 3']), good: spec(), covers: '3', message: /outside \(0, 1\]/ },
    { code: 'lr-range', name: 'a zero backbone lr', bad: spec(['  optimizer adam lr 1e-3', '  optimizer adam lr 1e-3\n  backbone lr 0']), good: spec(['  optimizer adam lr 1e-3', '  optimizer adam lr 1e-3\n  backbone lr 1e-4']), covers: '0' },
    {
        code: 'finetune-lr',
        name: "a stage's lr equal to the first stage's",
        bad: spec(stage('optimizer adam lr 1e-3')),
        good: spec(stage('optimizer adam lr 1e-4')),
        covers: '1e-3',
        severity: 'warning',
        message: /not lower than the first stage's 1e-3/
    },
    {
        code: 'finetune-lr',
        name: "a stage's lr above the default first-stage lr (1e-3)",
        bad: spec(['  optimizer adam lr 1e-3\n', ''], stage('optimizer sgd lr 1e-2 momentum 0.9')),
        good: spec(['  optimizer adam lr 1e-3\n', ''], stage('optimizer sgd lr 1e-4 momentum 0.9')),
        covers: '1e-2',
        severity: 'warning'
    },
    { code: 'missing-output', name: 'a head without output (on its last layer)', bad: spec(...head('    pool average')), good: spec(), covers: 'pool average' },
    { code: 'missing-output', name: 'an empty head (on `head`)', bad: spec(...head('')), good: spec(), covers: 'head' },
    { code: 'head-order', name: 'a layer after output', bad: spec(...head('    pool average\n    output softmax\n    dense 8')), good: spec(...head('    pool average\n    dense 8\n    output softmax')), covers: 'dense 8' },
    { code: 'task-activation', name: 'sigmoid on single-label data', bad: spec(['output softmax', 'output sigmoid']), good: spec(), covers: 'sigmoid', message: /single-label data needs `softmax`/ },
    {
        code: 'task-activation',
        name: 'softmax on multi-label CSV data (a named head on a single-label column may use softmax)',
        bad: tagsExperiment('  head tags {\n    pool average\n    output softmax labels "labels"\n  }\n  head count {\n    pool average\n    output softmax labels "count"\n  }'),
        good: tagsExperiment('  head tags {\n    pool average\n    output sigmoid labels "labels"\n  }\n  head count {\n    pool average\n    output softmax labels "count"\n  }'),
        covers: 'softmax'
    },
    { code: 'loss-task', name: 'binary_crossentropy with softmax', bad: spec(['  optimizer', '  loss binary_crossentropy\n  optimizer']), good: spec(['  optimizer', '  loss crossentropy smoothing 0.1\n  optimizer']), covers: 'binary_crossentropy' },
    {
        code: 'head-labels',
        name: 'a labels column the CSV does not have',
        bad: tagsExperiment('  head tags {\n    output sigmoid labels "tagz"\n  }'),
        good: tagsExperiment('  head tags {\n    output sigmoid labels "labels"\n  }'),
        covers: '"tagz"',
        message: /label columns are labels, count/
    },
    { code: 'head-labels', name: 'labels on a folder dataset', bad: spec(['output softmax', 'output softmax labels "kind"']), good: spec(), covers: '"kind"' },
    {
        code: 'monitor-split',
        name: 'early_stop on val without a val split',
        bad: spec(noVal, [TRAIN_END, '    batch 4\n    early_stop val_loss patience 2\n  }\n']),
        good: spec([TRAIN_END, '    batch 4\n    early_stop val_loss patience 2\n  }\n']),
        covers: 'val_loss'
    },
    {
        code: 'monitor-split',
        name: 'checkpoint on an unknown metric',
        bad: spec([TRAIN_END, '    batch 4\n    checkpoint best val_acc\n  }\n']),
        good: spec([TRAIN_END, '    batch 4\n    checkpoint best val_accuracy\n  }\n']),
        covers: 'val_acc'
    },
    { code: 'evaluate-split', name: 'evaluate on test without a test split', bad: spec(noTest, after('  evaluate on test')), good: spec(after('  evaluate on test')), covers: 'test' },
    { code: 'option-mismatch', name: 'momentum on adam', bad: spec(['adam lr 1e-3', 'adam lr 1e-3 momentum 0.9']), good: spec(['adam lr 1e-3', 'sgd lr 1e-3 momentum 0.9 nesterov']), covers: 'momentum' },
    { code: 'option-mismatch', name: 'decay on adam', bad: spec(['adam lr 1e-3', 'adam lr 1e-3 decay 1e-4']), good: spec(['adam lr 1e-3', 'adamw lr 1e-3 decay 1e-4']), covers: 'decay' },
    { code: 'option-mismatch', name: 'a threshold without sigmoid outputs', bad: spec(after('  threshold 0.5')), good: spec(), covers: 'threshold' },
    { code: 'option-mismatch', name: 'macro averaging on accuracy', bad: spec(after('  metrics accuracy macro, f1 macro')), good: spec(after('  metrics accuracy, f1 macro, precision macro')), covers: 'accuracy macro' },
    { code: 'int-required', name: 'fractional epochs', bad: spec(['epochs 1', 'epochs 1.5']), good: spec(), covers: '1.5' },
    { code: 'int-required', name: 'a zero batch', bad: spec(['batch 4', 'batch 0']), good: spec(), covers: '0' },
    { code: 'int-required', name: 'fractional dense units', bad: spec(...head('    dense 8.5\n    output softmax')), good: spec(...head('    dense 8\n    output softmax')), covers: '8.5' },
    { code: 'int-required', name: 'a fractional seed', bad: spec(after('  seed 1.5')), good: spec(after('  seed 0')), covers: '1.5' },
    { code: 'range', name: 'dropout 1', bad: spec(...head('    dropout 1\n    output softmax')), good: spec(...head('    dropout 0.5\n    output softmax')), covers: '1' },
    { code: 'range', name: 'smoothing 1', bad: spec(['  optimizer', '  loss crossentropy smoothing 1\n  optimizer']), good: spec(['  optimizer', '  loss crossentropy smoothing 0.1\n  optimizer']), covers: '1' },
    { code: 'range', name: 'a step schedule factor above 1', bad: spec(after('  schedule step every 2 factor 2')), good: spec(after('  schedule step every 2 factor 0.5')), covers: '2' },
    {
        code: 'episodes',
        name: 'more ways than classes',
        bad: spec(after('  evaluate episodes 10 way 4 shot 1 query 1')),
        good: spec(after('  evaluate episodes 10 way 3 shot 1 query 1')),
        covers: '4'
    },
    {
        code: 'episodes',
        name: 'shot + query above the smallest class in test (triangle: 12 × 20% = 2.4, so at most 3)',
        bad: spec(after('  evaluate episodes 10 way 3 shot 1 query 3')),
        good: spec(after('  evaluate episodes 10 way 3 shot 1 query 2')),
        covers: '3',
        message: /class 'triangle' has at most 3 in the test split/
    },
    { code: 'sweep-param', name: 'vary dropout on a head without dropout', bad: spec(sweep('  vary dropout 0.1, 0.3')), good: spec(sweep('  vary lr 1e-2, 1e-3')), covers: 'dropout' },
    { code: 'sweep-param', name: 'vary momentum on adam', bad: spec(sweep('  vary momentum 0.8, 0.9')), good: spec(sweep('  vary seed 1, 2')), covers: 'momentum' },
    { code: 'lr-range', name: 'a swept lr above 1', bad: spec(sweep('  vary lr 1e-2, 2')), good: spec(sweep('  vary lr 1e-2, 1')), covers: '2' },
    { code: 'monitor-split', name: 'a sweep objective on a split the data lacks', bad: spec(noVal, sweep('  vary lr 1e-2, 1e-3\n  objective max val_accuracy')), good: spec(sweep('  vary lr 1e-2, 1e-3\n  objective max val_accuracy')), covers: 'val_accuracy' }
]);

describe('training checks in context', () => {
    let root = '';
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    test('monitors use the keys the runtime records: val_top_2, val_f1_macro, test_precision_micro, train_loss', async () => {
        for (const monitor of ['val_top_2', 'val_f1_macro', 'test_precision_micro', 'train_loss']) {
            const result = await validate(root, spec([TRAIN_END, `    batch 4\n    checkpoint best ${monitor}\n  }\n`]));
            expect(listDiagnostics(result.diagnostics), monitor).toEqual([]);
        }
    });

    test('a sweep without vary is reported on its name', async () => {
        const result = await validate(root, spec(sweep('  trials 2 random')));
        expect(result.diagnostics.map((d) => d.code)).toEqual(['sweep-param']);
    });

    test('several heads: each output is checked against the column it learns', async () => {
        const result = await validate(root, tagsExperiment('  head tags {\n    output softmax labels "labels"\n  }\n  head count {\n    output sigmoid labels "count"\n  }'));
        expect(result.diagnostics.map((d) => d.code)).toEqual(['task-activation', 'task-activation']);
    });

    test('a stage without its own optimizer keeps the first lr and gets no finetune warning', async () => {
        const result = await validate(root, spec(after('  stage ft {\n    unfreeze last 1 blocks\n    epochs 1\n  }')));
        expect(listDiagnostics(result.diagnostics)).toEqual([]);
    });

    test('head prototypes: a train block is unused (warning), data/backbone/head suffice', async () => {
        const result = await validate(root, spec([HEAD, '  head prototypes'], ['  optimizer adam lr 1e-3\n', '']));
        expect(result.diagnostics.map((d) => `${d.code}:${d.severity}`)).toEqual(['option-mismatch:2']);
    });
});
