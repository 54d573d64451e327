// Names and references: each code fails on a wrong spec (with its exact range) and is silent on
// the corrected one.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { TextDocument, URI } from 'langium';
import { setTextDocument } from 'langium/test';
import { BASE_DATASET, createFixture, defineCodeCases, listDiagnostics, removeFixture, services, spec, validate, covered } from './validation-fixture.js';

const PROTOTYPES = `${BASE_DATASET}
experiment protos {
  data shapes
  backbone small_cnn
  head prototypes
  evaluate episodes 5 way 3 shot 1 query 1
}
`;

defineCodeCases('names and statements', [
    {
        code: 'duplicate-name',
        name: 'a name declared in another file of the workspace',
        bad: spec(),
        good: spec(),
        covers: 'shapes',
        message: /also at other\.graft:1/,
        badOthers: { 'other.graft': 'dataset shapes {\n  source mnist\n}\n' },
        goodOthers: { 'other.graft': 'dataset digits {\n  source mnist\n}\n' }
    },
    {
        code: 'cycle',
        name: 'an experiment that reuses its own backbone',
        bad: spec(['backbone small_cnn filters 8, 16', 'backbone e']),
        good: spec(),
        covers: 'e',
        message: /e → e/
    },
    {
        code: 'duplicate-statement',
        name: 'two data statements',
        bad: spec(['  data shapes\n', '  data shapes\n  data shapes\n']),
        good: spec(),
        covers: 'data'
    },
    {
        code: 'duplicate-statement',
        name: 'two train blocks',
        bad: spec(['  optimizer adam', '  train { epochs 2 }\n  optimizer adam']),
        good: spec(),
        covers: 'train'
    },
    {
        code: 'duplicate-statement',
        name: 'epochs twice in one train block',
        bad: spec(['    batch 4', '    batch 4\n    epochs 3']),
        good: spec(),
        covers: 'epochs'
    },
    {
        code: 'duplicate-statement',
        name: 'an unnamed head and a second head',
        bad: spec(['  optimizer adam', '  head { output softmax }\n  optimizer adam']),
        good: spec(),
        covers: 'head'
    },
    {
        code: 'duplicate-name',
        name: 'two named heads with one name',
        bad: spec(['  head {\n    pool average\n    output softmax\n  }', '  head a { output softmax }\n  head a { output softmax }']),
        good: spec(['  head {\n    pool average\n    output softmax\n  }', '  head a { output softmax }\n  head b { output softmax }']),
        covers: 'a'
    },
    {
        code: 'missing-data',
        name: 'an experiment without data',
        bad: spec(['  data shapes\n', '']),
        good: spec(),
        covers: 'e'
    },
    {
        code: 'missing-backbone',
        name: 'an experiment without a backbone',
        bad: spec(['  backbone small_cnn filters 8, 16\n', '']),
        good: spec(),
        covers: 'e'
    },
    {
        code: 'missing-head',
        name: 'an experiment without a head',
        bad: spec(['  head {\n    pool average\n    output softmax\n  }\n', '']),
        good: PROTOTYPES,
        covers: 'e'
    },
    {
        code: 'missing-source',
        name: 'a dataset without a source',
        bad: spec(['  source folder "data/shapes"\n', '']),
        good: spec(),
        covers: 'shapes'
    },
    {
        code: 'unknown-name',
        name: 'data names a dataset that does not exist (Langium linking, kind in the message)',
        bad: spec(['  data shapes', '  data shapez']),
        good: spec(),
        covers: 'shapez',
        message: /no dataset named 'shapez' in the workspace \(did you mean 'shapes'/
    },
    {
        code: 'unknown-name',
        name: 'backbone names a dataset instead of an experiment',
        bad: spec(['backbone small_cnn filters 8, 16', 'backbone shapes']),
        good: spec(),
        covers: 'shapes',
        message: /'shapes' is a dataset, but `backbone` needs an experiment/
    }
]);

describe('names across files and cycles', () => {
    let root = '';
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    test('a duplicate in another file is reported with where the other one is', async () => {
        const result = await validate(root, spec(), { 'other.graft': 'dataset shapes {\n  source mnist\n}\n' });
        const diagnostics = result.diagnostics.filter((d) => d.code === 'duplicate-name');
        expect(diagnostics).toHaveLength(1);
        expect(diagnostics[0].message).toMatch(/also at other\.graft:1/);
        expect(covered(result, diagnostics[0])).toBe('shapes');
    });

    test('duplicates in one file are both reported; a dataset and an experiment share one namespace', async () => {
        const result = await validate(root, spec() + '\nexperiment shapes {\n  data shapes\n  backbone small_cnn\n  head prototypes\n}\n');
        const lines = result.diagnostics.filter((d) => d.code === 'duplicate-name').map((d) => d.range.start.line);
        expect(lines).toEqual([0, 20]);
    });

    test('a two-experiment cycle is reported on each backbone in it', async () => {
        const text = spec(['backbone small_cnn filters 8, 16', 'backbone f']) + '\nexperiment f {\n  data shapes\n  backbone e\n  head { output softmax }\n}\n';
        const result = await validate(root, text);
        const cycles = result.diagnostics.filter((d) => d.code === 'cycle');
        expect(cycles.map((d) => covered(result, d))).toEqual(['f', 'e']);
        expect(listDiagnostics(result.diagnostics)).toHaveLength(2);
    });

    test('an experiment downstream of a cycle is not itself in the cycle', async () => {
        const text = spec(['backbone small_cnn filters 8, 16', 'backbone e']) + '\nexperiment g {\n  data shapes\n  backbone e\n  head { output softmax }\n}\n';
        const result = await validate(root, text);
        expect(result.diagnostics.filter((d) => d.code === 'cycle')).toHaveLength(1);
    });

    test('an edit in one file updates duplicate-name in the other file (added, then removed)', async () => {
        const a = URI.file(join(root, 'a.graft'));
        const b = URI.file(join(root, 'b.graft'));
        await validate(root, 'dataset pets {\n  source mnist\n}\n', { 'b.graft': 'dataset cars {\n  source mnist\n}\n' }, 'a.graft');
        const documents = services.shared.workspace.LangiumDocuments;
        const builder = services.shared.workspace.DocumentBuilder;
        await builder.build([documents.getDocument(b)!], { validation: true });
        const codesIn = (uri: URI): string[] => (documents.getDocument(uri)!.diagnostics ?? []).map((d) => String(d.code));
        expect(codesIn(a)).toEqual([]);

        // The editor sends new text for b.graft only; a.graft must be revalidated too.
        const edit = (text: string, version: number) => setTextDocument(services, TextDocument.create(b.toString(), 'graft', version, text));
        const added = edit('dataset pets {\n  source mnist\n}\n', 2);
        await builder.update([b], []);
        expect(codesIn(a)).toEqual(['duplicate-name']);
        expect(codesIn(b)).toEqual(['duplicate-name']);
        added.dispose();

        const removed = edit('dataset boats {\n  source mnist\n}\n', 3);
        await builder.update([b], []);
        expect(codesIn(a)).toEqual([]);
        removed.dispose();
    });

    test('head prototypes needs no train, loss or optimizer', async () => {
        const result = await validate(root, PROTOTYPES);
        expect(listDiagnostics(result.diagnostics)).toEqual([]);
    });
});
