// The editor features on elements whose names are keywords elsewhere (the spec of
// test/fixtures/keyword-names): datasets `x` and `image`, experiments `source` and `data`, head
// `output`, stage `freeze`, sweep `of`. Completion offers them where a reference goes, hover
// describes them, rename and find references touch the names and never the keywords of the same
// spelling (`image 12 x 12`, `source mnist`), go to definition jumps to them, the outline lists
// them and semantic tokens colour each word by what it is there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SemanticTokensDecoder } from 'langium/lsp';
import { describe, expect, test } from 'vitest';
import type { DocumentSymbol, Location, LocationLink } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { canonicalLayout } from '../../src/language/lsp/canonical-layout.js';
import { closeDocuments, completionAt, createTestServices, examplePath, hoverAt, labels, openDocuments, withCursor } from './lsp-test-helpers.js';

const services = createTestServices();
const SPEC = readFileSync(join(import.meta.dirname, '../fixtures/keyword-names/keyword-names.graft'), 'utf8');
const specFile = () => ({ path: examplePath('keyword-names'), text: SPEC });

/** A second file of the same workspace that uses the fixture's names. */
const USER = `experiment user {
  data x
  backbone source
  head {
    pool average
    output softmax
  }
  adapt to image using coral
  evaluate on x
}
`;

/** The position of the `nth` (0-based) occurrence of `word` as a whole word in `text`. */
function positionOf(text: string, word: string, nth = 0): { line: number; character: number } {
    const re = new RegExp(`\\b${word}\\b`, 'g');
    let match: RegExpExecArray | null = null;
    for (let i = 0; i <= nth; i++) match = re.exec(text);
    if (!match) throw new Error(`no occurrence ${nth} of ${word}`);
    const doc = TextDocument.create('file:///x', 'graft', 0, text);
    return doc.positionAt(match.index + 1);
}

describe('completion', () => {
    test('`data` offers the keyword-named datasets', async () => {
        const items = await completionAt(services, SPEC.replace('  data x\n', '  data <|>\n'));
        expect(labels(items)).toEqual(expect.arrayContaining(['x', 'image']));
        expect(items.find((i) => i.label === 'image')?.detail).toBe('Dataset');
    });

    test('a partly typed name is completed, and so is one that is already a whole keyword', async () => {
        expect(labels(await completionAt(services, SPEC.replace('  data image\n', '  data ima<|>\n')))).toContain('image');
        expect(labels(await completionAt(services, SPEC.replace('  data image\n', '  data image<|>\n')))).toContain('image');
    });

    test('`backbone` offers the keyword-named experiment, never the experiment itself nor one named like a zoo architecture', async () => {
        const others = [{ path: examplePath('zoo-named'), text: 'experiment resnet18 {\n  data x\n  backbone small_cnn\n}\n' }];
        const items = await completionAt(services, SPEC.replace('  backbone source\n', '  backbone <|>\n'), examplePath('completion'), others);
        const names = labels(items);
        expect(names).toContain('source');
        expect(names).toContain('resnet18'); // the zoo architecture, as a keyword
        expect(items.filter((i) => i.label === 'resnet18').map((i) => i.detail)).not.toContain('Experiment');
        expect(names).not.toContain('data');
    });

    test('`evaluate on` offers `test` once, as the own split, and the keyword-named datasets', async () => {
        const others = [{ path: examplePath('test-named'), text: 'dataset test {\n  source mnist\n}\n' }];
        const items = await completionAt(services, SPEC.replace('  evaluate on x\n', '  evaluate on <|>\n'), examplePath('completion'), others);
        expect(items.filter((i) => i.label === 'test')).toHaveLength(1);
        expect(items.find((i) => i.label === 'test')?.detail).not.toBe('Dataset');
        expect(labels(items)).toEqual(expect.arrayContaining(['x', 'image']));
    });

    test('where a new name goes, no keyword is proposed', async () => {
        expect(labels(await completionAt(services, 'experiment <|>'))).toEqual([]);
        expect(labels(await completionAt(services, 'experiment e {\n  stage <|>\n}\n'))).toEqual([]);
    });

    test('statements are still proposed inside blocks of keyword-named elements', async () => {
        const items = await completionAt(services, SPEC.replace('  data image\n', '  data image\n  <|>\n'));
        expect(labels(items)).toEqual(expect.arrayContaining(['backbone', 'freeze', 'head', 'metrics']));
        const sweep = await completionAt(services, SPEC.replace('  vary lr 1e-2, 3e-3\n', '  vary lr 1e-2, 3e-3\n  <|>\n'));
        expect(labels(sweep)).toEqual(expect.arrayContaining(['vary', 'trials']));
    });
});

describe('hover', () => {
    test('a keyword-named reference and declaration describe the element; the same word as a keyword gets the keyword text', async () => {
        const onReference = await hoverAt(services, SPEC.replace('  data x\n', '  data <|>x\n'));
        expect(onReference).toMatch(/^\*\*dataset\*\* `x`/);
        expect(onReference).toContain('MNIST');
        const onDeclaration = await hoverAt(services, SPEC.replace('experiment source {', 'experiment so<|>urce {'));
        expect(onDeclaration).toMatch(/^\*\*experiment\*\* `source`/);
        expect(onDeclaration).toContain('- data `x`');
        expect(onDeclaration).toContain('stages: train, freeze');
        // `source mnist` describes its dataset, never experiment `source`; `image 12 x 12` is the keyword.
        const onSourceKeyword = await hoverAt(services, SPEC.replace('dataset x {\n  source mnist', 'dataset x {\n  so<|>urce mnist'));
        expect(onSourceKeyword).toMatch(/^\*\*dataset\*\* `x`/);
        const onImageKeyword = await hoverAt(services, SPEC.replace('dataset x {\n  source mnist\n  classes 0..2\n  image', 'dataset x {\n  source mnist\n  classes 0..2\n  im<|>age'));
        expect(onImageKeyword).toMatch(/^\*\*image\*\* — /);
        const onBackbone = await hoverAt(services, SPEC.replace('  backbone source\n', '  backbone sou<|>rce\n'));
        expect(onBackbone).toMatch(/^\*\*experiment\*\* `source`/);
        const onStage = await hoverAt(services, SPEC.replace('  stage freeze {', '  stage fre<|>eze {'));
        expect(onStage).toMatch(/^\*\*stage\*\* `freeze`/);
    });
});

describe('rename, references, definition', () => {
    async function withWorkspace<T>(run: (docs: Awaited<ReturnType<typeof openDocuments>>) => Promise<T>): Promise<T> {
        const docs = await openDocuments(services, [specFile(), { path: examplePath('user'), text: USER }]);
        try {
            return await run(docs);
        } finally {
            await closeDocuments(services, docs);
        }
    }

    test('renaming dataset `x` from a reference in the other file changes the names, not `image 12 x 12`', async () => {
        const [spec, user] = await withWorkspace(async (docs) => {
            const edit = await services.lsp.RenameProvider!.rename(docs[1], {
                textDocument: { uri: docs[1].uri.toString() },
                position: positionOf(USER, 'x'),
                newName: 'digits'
            });
            return docs.map((d) => TextDocument.applyEdits(d.textDocument, edit?.changes?.[d.uri.toString()] ?? []));
        });
        expect(spec).toBe(SPEC.replace('dataset x {', 'dataset digits {').replace('  data x\n', '  data digits\n').replace('  evaluate on x\n', '  evaluate on digits\n'));
        expect(spec).toContain('image 12 x 12 grayscale');
        expect(user).toBe(USER.replace('  data x\n', '  data digits\n').replace('  evaluate on x\n', '  evaluate on digits\n'));
    });

    test('renaming experiment `source` at its declaration changes `backbone source` in both files, not `source mnist`', async () => {
        const [spec, user] = await withWorkspace(async (docs) => {
            const edit = await services.lsp.RenameProvider!.rename(docs[0], {
                textDocument: { uri: docs[0].uri.toString() },
                position: positionOf(SPEC, 'source', SPEC.slice(0, SPEC.indexOf('experiment source')).match(/\bsource\b/g)!.length),
                newName: 'pretrain'
            });
            return docs.map((d) => TextDocument.applyEdits(d.textDocument, edit?.changes?.[d.uri.toString()] ?? []));
        });
        expect(spec).toBe(SPEC.replace('experiment source {', 'experiment pretrain {').replace('  backbone source\n', '  backbone pretrain\n'));
        expect(user).toBe(USER.replace('  backbone source\n', '  backbone pretrain\n'));
    });

    test('prepare rename accepts a keyword-named name and refuses the same word as a keyword', async () => {
        await withWorkspace(async ([doc]) => {
            const at = (position: { line: number; character: number }) => services.lsp.RenameProvider!.prepareRename(doc, { textDocument: { uri: doc.uri.toString() }, position });
            const declaration = positionOf(SPEC, 'x', SPEC.slice(0, SPEC.indexOf('dataset x')).match(/\bx\b/g)?.length ?? 0);
            expect(await at(declaration)).toEqual({ start: { ...declaration, character: declaration.character - 1 }, end: declaration });
            const keyword = positionOf(SPEC, 'x', SPEC.slice(0, SPEC.indexOf('12 x 12')).match(/\bx\b/g)!.length);
            expect(await at(keyword)).toBeUndefined();
            const stage = positionOf(SPEC, 'freeze', SPEC.slice(0, SPEC.indexOf('stage freeze')).match(/\bfreeze\b/g)?.length ?? 0);
            expect(await at(stage)).toBeDefined();
        });
    });

    test('find references of dataset `image` lists its declaration and its uses only', async () => {
        const refs = await withWorkspace(async ([doc, user]) => {
            const position = positionOf(SPEC, 'image', SPEC.slice(0, SPEC.indexOf('dataset image')).match(/\bimage\b/g)!.length);
            const found = (await services.lsp.ReferencesProvider!.findReferences(doc, { textDocument: { uri: doc.uri.toString() }, position, context: { includeDeclaration: true } })) as Location[];
            return found.map((l) => `${l.uri === user.uri.toString() ? 'user' : 'spec'}:${l.range.start.line + 1}`).sort();
        });
        const line = (needle: string) => SPEC.slice(0, SPEC.indexOf(needle)).split('\n').length;
        expect(refs).toEqual([`spec:${line('dataset image')}`, `spec:${line('  data image')}`, 'user:8'].sort());
    });

    test('go to definition from `backbone source` in the other file lands on the experiment name', async () => {
        const link = await withWorkspace(async ([spec, user]) => {
            const { offset } = withCursor(USER.replace('backbone source', 'backbone sou<|>rce'));
            const links = (await services.lsp.DefinitionProvider!.getDefinition(user, { textDocument: { uri: user.uri.toString() }, position: user.textDocument.positionAt(offset) })) as LocationLink[];
            expect(links).toHaveLength(1);
            expect(links[0].targetUri).toBe(spec.uri.toString());
            return spec.textDocument.getText(links[0].targetSelectionRange);
        });
        expect(link).toBe('source');
    });
});

describe('outline, semantic tokens, formatting', () => {
    test('the outline lists the keyword-named declarations with their stage and head', async () => {
        const docs = await openDocuments(services, [specFile()]);
        try {
            const symbols = (await services.lsp.DocumentSymbolProvider!.getSymbols(docs[0], { textDocument: { uri: docs[0].uri.toString() } })) as DocumentSymbol[];
            const outline = (list: DocumentSymbol[]): unknown[] => list.map((s) => (s.children?.length ? { [s.name]: outline(s.children) } : s.name));
            expect(outline(symbols)).toEqual(['x', 'image', { source: ['output', 'freeze'] }, 'data', 'of']);
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('semantic tokens colour a word by what it is at that spot', async () => {
        const text = 'dataset x {\n  source mnist\n  image 12 x 12 grayscale\n}\n\nexperiment source {\n  data x\n  backbone image\n  head output {\n    output softmax\n  }\n  train {\n    checkpoint best loss\n  }\n  stage freeze {\n    freeze all\n  }\n}\n\nsweep of of source {\n  vary lr 1e-3\n}\n';
        const docs = await openDocuments(services, [{ path: examplePath('tokens'), text }]);
        try {
            const provider = services.lsp.SemanticTokenProvider!;
            const decoded = SemanticTokensDecoder.decode(await provider.semanticHighlight(docs[0], { textDocument: { uri: docs[0].uri.toString() } }), provider.tokenTypes, docs[0]);
            const modifiers = Object.entries(provider.tokenModifiers);
            const show = decoded.map((t) => `${t.text}:${t.tokenType}${modifiers.filter(([, bit]) => t.tokenModifiers & bit).map(([m]) => `+${m}`).join('')}`);
            expect(show).toEqual([
                'dataset:keyword', 'x:struct+declaration',
                'source:keyword', 'mnist:keyword',
                'image:keyword', '12:number', 'x:keyword', '12:number', 'grayscale:enumMember',
                'experiment:keyword', 'source:class+declaration',
                'data:keyword', 'x:struct',
                'backbone:keyword', 'image:class',
                'head:keyword', 'output:property+declaration', 'output:keyword', 'softmax:enumMember',
                'train:keyword', 'checkpoint:keyword', 'best:keyword', 'loss:variable+readonly',
                'stage:keyword', 'freeze:method+declaration', 'freeze:keyword', 'all:enumMember',
                'sweep:keyword', 'of:function+declaration', 'of:keyword', 'source:class',
                'vary:keyword', 'lr:enumMember', '1e-3:number'
            ]);
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('the formatter lays out a keyword-named spec like any other, and the fixture is already canonical', async () => {
        const messy = 'dataset   x{source mnist\n image 12 x 12 grayscale}\nexperiment source { data x   backbone small_cnn\n head output { output softmax } }';
        const docs = await openDocuments(services, [{ path: examplePath('fmt'), text: messy }, { path: examplePath('fmt-spec'), text: SPEC }]);
        try {
            const result = canonicalLayout(docs[0]);
            expect(result.ok && result.text).toBe(
                'dataset x {\n  source mnist\n  image 12 x 12 grayscale\n}\n\nexperiment source {\n  data x\n  backbone small_cnn\n  head output {\n    output softmax\n  }\n}\n'
            );
            const fixture = canonicalLayout(docs[1]);
            expect(fixture.ok && fixture.edits).toEqual([]);
        } finally {
            await closeDocuments(services, docs);
        }
    });
});
