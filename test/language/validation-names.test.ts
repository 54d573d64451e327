// Names that parse but cannot mean what they seem (docs/language.md, "Names"), and what the
// diagnostics say while a name is missing or unusable: never `experiment 'undefined'`, never a
// list of every keyword.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles } from '../../src/cli/check.js';
import { URI } from 'langium';
import { clearDocuments, parseHelper } from 'langium/test';
import type { Model } from '../../src/language/generated/ast.js';
import { BASE_DATASET, createFixture, defineCodeCases, listDiagnostics, removeFixture, services, spec, validate } from './validation-fixture.js';

defineCodeCases('names that keep another meaning', [
    {
        code: 'ambiguous-name',
        name: '`backbone resnet18` while an experiment is called resnet18',
        severity: 'warning',
        bad: spec(['backbone small_cnn filters 8, 16', 'backbone resnet18 weights none']),
        good: spec(['backbone small_cnn filters 8, 16', 'backbone resnet18 weights none']),
        covers: 'resnet18',
        message: /is the zoo architecture, not experiment 'resnet18' \(other\.graft:1\).*rename that experiment/,
        badOthers: { 'other.graft': 'experiment resnet18 {\n  data shapes\n  backbone small_cnn\n  head {\n    output softmax\n  }\n}\n' },
        goodOthers: { 'other.graft': 'experiment resnet_run {\n  data shapes\n  backbone small_cnn\n  head {\n    output softmax\n  }\n}\n' }
    },
    {
        code: 'ambiguous-name',
        name: '`evaluate on test` while a dataset is called test',
        severity: 'warning',
        bad: spec(['    batch 4\n  }\n', '    batch 4\n  }\n  evaluate on test\n']),
        good: spec(['    batch 4\n  }\n', '    batch 4\n  }\n  evaluate on test\n']),
        covers: 'test',
        message: /own test split, not dataset 'test' \(other\.graft:1\)/,
        badOthers: { 'other.graft': 'dataset test {\n  source mnist\n}\n' },
        goodOthers: { 'other.graft': 'dataset test_digits {\n  source mnist\n}\n' }
    },
    {
        code: 'ambiguous-name',
        name: '`evaluate on val`: a dataset called val would collide with the val split in the results',
        bad: spec(['    batch 4\n  }\n', '    batch 4\n  }\n  evaluate on val\n']),
        good: spec(['    batch 4\n  }\n', '    batch 4\n  }\n  evaluate on val_digits\n']),
        covers: 'val',
        badOthers: { 'other.graft': 'dataset val {\n  source folder "data/shapes"\n  image 32 x 32 rgb\n}\n' },
        goodOthers: { 'other.graft': 'dataset val_digits {\n  source folder "data/shapes"\n  image 32 x 32 rgb\n}\n' }
    },
    {
        code: 'duplicate-name',
        name: 'a stage called train: the first stage has that name',
        bad: spec(['    batch 4\n  }\n', '    batch 4\n  }\n  stage train {\n    optimizer adam lr 1e-4\n  }\n']),
        good: spec(['    batch 4\n  }\n', '    batch 4\n  }\n  stage tune {\n    optimizer adam lr 1e-4\n  }\n']),
        covers: 'train',
        message: /first stage is called `train`/
    },
    {
        code: 'unknown-name',
        name: '`backbone from` without its path reads as an experiment named from',
        bad: spec(['backbone small_cnn filters 8, 16', 'backbone from']),
        good: spec(['backbone small_cnn filters 8, 16', 'backbone from "weights/model.json"']),
        covers: 'from',
        message: /^`backbone from` needs a model\.json path: `backbone from "<model\.json>"`; without it, 'from' is read as an experiment/
    },
    {
        code: 'unknown-name',
        name: '`backbone lr` without its rate reads as an experiment named lr',
        bad: spec(['backbone small_cnn filters 8, 16', 'backbone lr']),
        good: spec(['  optimizer adam', '  backbone lr 1e-4\n  optimizer adam']),
        covers: 'lr',
        message: /^`backbone lr` needs a learning rate: `backbone lr 1e-4`/
    }
]);

describe('keyword names check clean', () => {
    let root = '';
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    test('datasets, experiments, stages and heads named with keywords; an experiment resnet18 on the zoo resnet18 itself', async () => {
        const text = `dataset x {
  source folder "data/shapes"
  image 32 x 32 rgb
  split train 60%, val 20%, test 20% stratified
}

experiment image {
  data x
  backbone small_cnn filters 8, 16
  head output {
    pool average
    output softmax
  }
  optimizer adam lr 1e-3
  stage freeze {
    optimizer adam lr 1e-4
  }
  evaluate on test
}

experiment resnet18 {
  data x
  backbone resnet18 weights none
  head {
    output softmax
  }
}

experiment source {
  data x
  backbone image
  head {
    output softmax
  }
  adapt to x using coral
  evaluate on x
}

sweep of of source {
  vary lr 1e-2, 1e-3
  objective max val_accuracy
}
`;
        const result = await validate(root, text);
        expect(listDiagnostics(result.diagnostics)).toEqual([]);
    });
});

describe('missing and unusable names', () => {
    const parse = parseHelper<Model>(services);
    const messages = async (text: string): Promise<string[]> => {
        await clearDocuments(services);
        const doc = await parse(text, { documentUri: URI.file(join('/names', `${Math.random()}.graft`)).toString(), validation: true });
        return (doc.diagnostics ?? []).map((d) => d.message);
    };

    test('a declaration without a name: "a name" is expected, and the other diagnostics say "without a name"', async () => {
        const found = await messages('experiment {\n  backbone small_cnn\n}\n\ndataset {\n}\n\nsweep {\n}\n');
        expect(found).toEqual(
            expect.arrayContaining([
                'Expecting a name but found `{`.',
                'an experiment without a name needs a `data <dataset>` statement',
                expect.stringMatching(/^an experiment without a name needs a head/),
                expect.stringMatching(/^a dataset without a name has no source/),
                expect.stringMatching(/^a sweep without a name varies nothing/)
            ])
        );
        for (const m of found) expect(m).not.toMatch(/undefined|\bID\b/);
    });

    test('a reference without its name says a name is expected, not which 160 keywords would do', async () => {
        const found = await messages(`${BASE_DATASET}\nexperiment e {\n  data\n}\n`);
        expect(found).toContain('Expecting a name but found `}`.');
        for (const m of found) expect(m.length).toBeLessThan(300);
    });

    test('a statement that cannot start there lists the statements, a name once as <name>', async () => {
        const found = await messages('experiment e {\n  head 5\n}\n');
        const syntax = found.find((m) => m.startsWith('Expecting'))!;
        expect(syntax).toContain('`<name>`');
        expect(syntax).toContain('`prototypes distance`');
        expect(syntax).not.toContain('accuracy');
        expect(syntax).toMatch(/but found `5`\.$/);
    });

    test('a name that starts with a digit is not a name', async () => {
        const found = await messages('dataset 3d {\n  source mnist\n}\n');
        expect(found[0]).toBe('Expecting a name (a name starts with a letter or _) but found `3`.');
    });
});

describe('test/fixtures/invalid/invalid-names.graft', () => {
    const file = join(import.meta.dirname, '../fixtures/invalid/invalid-names.graft');

    test('every marked line gets its diagnostic and no other line gets one', async () => {
        const expected: string[] = [];
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
            for (const match of line.slice(Math.max(0, line.indexOf('//'))).matchAll(/\b(ERROR|WARNING):/g)) expected.push(`${i + 1}: ${match[1].toLowerCase()}`);
        });
        const findings = await checkFiles([file]);
        expect(findings.map((f) => `${f.line}: ${f.severity}`)).toEqual(expected);
        expect(findings.map((f) => f.code)).toEqual(['ambiguous-name', 'duplicate-name', 'ambiguous-name', 'ambiguous-name', 'unknown-name']);
    });
});
