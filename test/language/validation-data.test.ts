// Dataset checks against real files: splits, paths relative to the spec, classes, shots (folder,
// CSV and the bundled MNIST digits), ranges and integers.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnistDigitCounts } from '../../src/language/validation/disk-facts.js';
import { BASE_DATASET, BASE_EXPERIMENT, createFixture, defineCodeCases, listDiagnostics, removeFixture, spec, validate, covered } from './validation-fixture.js';

const csvDataset = (source: string, extra = ''): string => `dataset tags {
  ${source}
  task multi_label
  image 32 x 32 rgb
  split train 80%, val 20%
${extra}}
`;

const mnist = (lines: string): string => `dataset digits {
  source mnist
${lines}
  image 28 x 28 grayscale
  split train 50%, val 50%
}
`;

defineCodeCases('datasets', [
    {
        code: 'split-sum',
        name: 'parts that sum to 90%',
        bad: spec(['split train 60%, val 20%, test 20%', 'split train 60%, val 20%, test 10%']),
        good: spec(),
        covers: 'train 60%, val 20%, test 10%',
        message: /sum to 90%/
    },
    {
        code: 'split-duplicate',
        name: 'val named twice',
        bad: spec(['split train 60%, val 20%, test 20%', 'split train 60%, val 20%, val 20%']),
        good: spec(),
        covers: 'val'
    },
    {
        code: 'range',
        name: 'a 0% part',
        bad: spec(['split train 60%, val 20%, test 20%', 'split train 100%, val 0%']),
        good: spec(['split train 60%, val 20%, test 20%', 'split train 100%']),
        covers: '0'
    },
    {
        code: 'path-missing',
        name: 'a folder that does not exist (relative to the spec file)',
        bad: spec(['"data/shapes"', '"data/nope"']),
        good: spec(),
        covers: '"data/nope"',
        message: /folder not found/
    },
    {
        code: 'path-missing',
        name: 'a folder without class sub-folders',
        bad: spec(['"data/shapes"', '"data/empty"']),
        good: spec(),
        covers: '"data/empty"'
    },
    {
        code: 'path-missing',
        name: 'a split folder of a pre-split dataset',
        bad: spec(['source folder "data/shapes"', 'source folder "data/presplit" splits "train", "val"'], ['  split train 60%, val 20%, test 20% stratified\n', '']),
        good: spec(['source folder "data/shapes"', 'source folder "data/presplit" splits "train", "test"'], ['  split train 60%, val 20%, test 20% stratified\n', '']),
        covers: '"val"'
    },
    {
        code: 'path-missing',
        name: 'a CSV file',
        bad: csvDataset('source csv "data/tags/nope.csv" images "data/tags/images"'),
        good: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"'),
        covers: '"data/tags/nope.csv"'
    },
    {
        code: 'path-missing',
        name: 'a CSV images folder',
        bad: csvDataset('source csv "data/tags/labels.csv" images "data/tags/imgs"'),
        good: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"'),
        covers: '"data/tags/imgs"'
    },
    {
        code: 'path-missing',
        name: 'an idx folder without MNIST-format files',
        bad: mnist('').replace('source mnist', 'source idx "data/empty"'),
        good: mnist(''),
        covers: '"data/empty"'
    },
    {
        code: 'csv-columns',
        name: 'a CSV without file and label columns',
        bad: csvDataset('source csv "data/tags/broken.csv" images "data/tags/images"'),
        good: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"'),
        covers: '"data/tags/broken.csv"'
    },
    {
        code: 'shots-too-many',
        name: 'more shots than the smallest class can have in train (triangle: 12 × 60% = 7.2, so at most 8)',
        bad: spec(['stratified\n', 'stratified\n  shots 9 per class\n']),
        good: spec(['stratified\n', 'stratified\n  shots 8 per class\n']),
        covers: '9',
        message: /class 'triangle' has at most 8 images in the train split/
    },
    {
        code: 'shots-too-many',
        name: 'a multi-label CSV: class cat is in 15 rows, 12 of them in train',
        bad: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"', '  shots 13 per class\n'),
        good: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"', '  shots 12 per class\n'),
        covers: '13'
    },
    {
        code: 'classes-unknown',
        name: 'a class name the folder does not have',
        bad: spec(['  image 32', '  classes "circle", "hexagon"\n  image 32']),
        good: spec(['  image 32', '  classes "circle", "triangle"\n  image 32']),
        covers: '"hexagon"',
        message: /the data has circle, square, triangle/
    },
    {
        code: 'classes-unknown',
        name: 'MNIST digits beyond 9',
        bad: mnist('  classes 5..12'),
        good: mnist('  classes 5..9'),
        covers: '5..12'
    },
    {
        code: 'classes-unknown',
        name: 'a CSV label that never occurs',
        bad: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"', '  classes "cat", "bird"\n'),
        good: csvDataset('source csv "data/tags/labels.csv" images "data/tags/images"', '  classes "cat", "dog"\n'),
        covers: '"bird"'
    },
    {
        code: 'int-required',
        name: 'a fractional image size',
        bad: spec(['image 32 x 32', 'image 32 x 31.5']),
        good: spec(),
        covers: '31.5'
    },
    {
        code: 'range',
        name: 'a rotation above 180 degrees',
        bad: spec(['stratified\n', 'stratified\n  augment {\n    rotate 270\n  }\n']),
        good: spec(['stratified\n', 'stratified\n  augment {\n    rotate 15\n    zoom 0.1\n  }\n']),
        covers: '270'
    },
    {
        code: 'duplicate-statement',
        name: 'two sources',
        bad: spec(['  image 32', '  source mnist\n  image 32']),
        good: spec(),
        covers: 'source'
    },
    {
        code: 'option-mismatch',
        name: 'multi_label on a folder source',
        bad: BASE_DATASET.replace('  image 32', '  task multi_label\n  image 32'),
        good: BASE_DATASET.replace('  image 32', '  task single_label\n  image 32'),
        covers: 'multi_label'
    }
]);

describe('dataset facts', () => {
    let root = '';
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    test('images in nested folders of a class count, hidden files do not', async () => {
        mkdirSync(join(root, 'data/nested/a/deeper'), { recursive: true });
        mkdirSync(join(root, 'data/nested/b'), { recursive: true });
        for (const f of ['a/1.png', 'a/deeper/2.png', 'a/.3.png', 'b/1.jpg', 'b/2.txt']) writeFileSync(join(root, 'data/nested', f), '');
        const dataset = (shots: number): string => `dataset n {\n  source folder "data/nested"\n  image 8 x 8 rgb\n  shots ${shots} per class\n}\n`;
        expect((await validate(root, dataset(2))).diagnostics.map((d) => d.message)).toEqual(["shots 2 per class, but class 'b' has at most 1 image"]);
        expect(listDiagnostics((await validate(root, dataset(1))).diagnostics)).toEqual([]);
    });

    test('MNIST counts come from the mnist package (about 1000 per digit)', () => {
        const counts = mnistDigitCounts();
        expect(counts).toHaveLength(10);
        for (const c of counts!) expect(c).toBeGreaterThan(800);
    });

    test('shots on the bundled MNIST digits: the smallest selected digit bounds them', async () => {
        const counts = mnistDigitCounts()!;
        const smallest = Math.min(...counts.slice(5, 10));
        const train = Math.ceil(smallest * 0.5);
        const bad = await validate(root, mnist(`  classes 5..9\n  shots ${train + 1} per class`));
        expect(bad.diagnostics.map((d) => d.code)).toEqual(['shots-too-many']);
        expect(bad.diagnostics[0].message).toContain(`has at most ${train} images`);
        const good = await validate(root, mnist(`  classes 5..9\n  shots ${train} per class`));
        expect(listDiagnostics(good.diagnostics)).toEqual([]);
    });

    test('a folder source missing is reported once, not again as missing classes', async () => {
        const result = await validate(root, spec(['"data/shapes"', '"data/nope"'], ['  image 32', '  classes "circle"\n  shots 3 per class\n  image 32']) + '\n');
        expect(result.diagnostics.map((d) => d.code)).toEqual(['path-missing']);
    });

    test('paths resolve against the spec file, not the working directory', async () => {
        const result = await validate(root, spec(['"data/shapes"', '"../data/shapes"']), {}, 'sub/spec.graft');
        expect(result.diagnostics.map((d) => d.code)).toEqual([]);
    });

    test('a spec that is not on disk gets no path diagnostics', async () => {
        const { services } = await import('./validation-fixture.js');
        const { validationHelper } = await import('langium/test');
        const result = await validationHelper(services)(spec(['"data/shapes"', '"data/nope"']).replace(BASE_EXPERIMENT, ''), { documentUri: 'untitled:Untitled-1' });
        expect(result.diagnostics.filter((d) => d.code === 'path-missing')).toEqual([]);
        await result.dispose();
    });

    test('the split-sum range ends at the last part, before `stratified`', async () => {
        const result = await validate(root, spec(['test 20% stratified', 'test 10% stratified']));
        expect(covered(result, result.diagnostics[0])).toBe('train 60%, val 20%, test 10%');
    });
});
