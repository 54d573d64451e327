// Rename works across the files of a workspace and only on whole names.
import { describe, expect, test } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { closeDocuments, createTestServices, examplePath, openDocuments } from './lsp-test-helpers.js';

const services = createTestServices();

const A = 'dataset digits {\n  source mnist\n}\n\nexperiment pre {\n  data digits\n  backbone small_cnn\n}\n';
const B = 'experiment post {\n  data digits\n  backbone pre\n  evaluate on digits\n}\n\nsweep s of post {\n  vary lr 1e-2, 1e-3\n}\n';

async function renameAt(file: 0 | 1, line: number, character: number, newName: string): Promise<string[]> {
    const docs = await openDocuments(services, [{ path: examplePath('a'), text: A }, { path: examplePath('b'), text: B }]);
    try {
        const doc = docs[file];
        const edit = await services.lsp.RenameProvider!.rename(doc, { textDocument: { uri: doc.uri.toString() }, position: { line, character }, newName });
        return docs.map((d) => TextDocument.applyEdits(d.textDocument, edit?.changes?.[d.uri.toString()] ?? []));
    } finally {
        await closeDocuments(services, docs);
    }
}

describe('rename', () => {
    test('renaming a dataset at its declaration updates every file', async () => {
        const [a, b] = await renameAt(0, 0, 10, 'mnist_digits');
        expect(a).toBe(A.replaceAll('digits', 'mnist_digits'));
        expect(b).toBe(B.replaceAll('digits', 'mnist_digits'));
    });

    test('renaming an experiment from a reference in the other file updates its declaration', async () => {
        const [a, b] = await renameAt(1, 2, 12, 'pretrain');
        expect(a).toBe(A.replace('experiment pre {', 'experiment pretrain {'));
        expect(b).toBe(B.replace('backbone pre\n', 'backbone pretrain\n'));
    });

    test('prepare rename accepts names and refuses keywords', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('a'), text: A }]);
        try {
            const doc = docs[0];
            const params = (line: number, character: number) => ({ textDocument: { uri: doc.uri.toString() }, position: { line, character } });
            expect(await services.lsp.RenameProvider!.prepareRename(doc, params(0, 10))).toEqual({ start: { line: 0, character: 8 }, end: { line: 0, character: 14 } });
            expect(await services.lsp.RenameProvider!.prepareRename(doc, params(1, 4))).toBeUndefined();
        } finally {
            await closeDocuments(services, docs);
        }
    });
});
