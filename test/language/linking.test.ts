// Names are global across the workspace: references resolve across files, go to definition
// jumps there, find references collects every use.
import { describe, expect, test } from 'vitest';
import { isAdaptProp, isDataProp, isEvaluateProp, isExperimentBackbone, type Experiment, type Sweep } from '../../src/language/generated/ast.js';
import { createTestServices, examplePath, openDocuments, closeDocuments, withCursor } from './lsp-test-helpers.js';

const services = createTestServices();

const dataFile = { path: examplePath('data'), text: 'dataset digits {\n  source mnist\n  image 28 x 28 grayscale\n}\n\nexperiment pre {\n  data digits\n  backbone small_cnn\n}\n' };
const useFile = (marked: string) => ({ path: examplePath('use'), ...withCursor(marked) });
const USE = 'experiment post {\n  data digits\n  backbone pre\n  adapt to digits using coral\n  evaluate on digits\n}\n\nsweep s of post {\n  vary lr 1e-2, 1e-3\n}\n';

describe('cross-file linking', () => {
    test('every reference resolves to the declaration in the other file', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('use'), text: USE }, dataFile], true);
        try {
            const [use, data] = docs;
            const linkErrors = (use.diagnostics ?? []).filter((d) => (d.data as { code?: string } | undefined)?.code === 'linking-error');
            expect(linkErrors).toEqual([]);
            const [digits, pre] = data.parseResult.value.elements;
            const post = use.parseResult.value.elements[0] as Experiment;
            const sweep = use.parseResult.value.elements[1] as Sweep;
            expect(post.props.filter(isDataProp)[0].dataset.ref).toBe(digits);
            expect((post.props.filter(isExperimentBackbone)[0]).experiment.ref).toBe(pre);
            expect(post.props.filter(isAdaptProp)[0].target.ref).toBe(digits);
            expect(post.props.filter(isEvaluateProp)[0].dataset?.ref).toBe(digits);
            expect(sweep.experiment.ref).toBe(post);
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('an unknown name is a linking error', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('use'), text: 'experiment e {\n  data nowhere\n}\n' }], true);
        try {
            const errors = (docs[0].diagnostics ?? []).filter((d) => (d.data as { code?: string } | undefined)?.code === 'linking-error');
            expect(errors.length).toBe(1);
            expect(errors[0].range.start).toEqual({ line: 1, character: 7 });
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('go to definition jumps into the other file', async () => {
        const { text, offset } = useFile(USE.replace('backbone pre', 'backbone p<|>re'));
        const docs = await openDocuments(services, [{ path: examplePath('use'), text }, dataFile]);
        try {
            const links = await services.lsp.DefinitionProvider!.getDefinition(docs[0], {
                textDocument: { uri: docs[0].uri.toString() },
                position: docs[0].textDocument.positionAt(offset)
            });
            expect(links?.length).toBe(1);
            expect(links![0].targetUri).toBe(docs[1].uri.toString());
            expect(links![0].targetSelectionRange).toEqual({ start: { line: 5, character: 11 }, end: { line: 5, character: 14 } });
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('find references lists the uses in both files', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('use'), text: USE }, dataFile]);
        try {
            const decl = docs[1];
            const locations = await services.lsp.ReferencesProvider!.findReferences(decl, {
                textDocument: { uri: decl.uri.toString() },
                position: { line: 0, character: 10 },
                context: { includeDeclaration: true }
            });
            const byFile = locations.map((l) => `${l.uri === decl.uri.toString() ? 'data' : 'use'}:${l.range.start.line}:${l.range.start.character}`).sort();
            expect(byFile).toEqual(['data:0:8', 'data:6:7', 'use:1:7', 'use:3:11', 'use:4:14']);
        } finally {
            await closeDocuments(services, docs);
        }
    });
});
