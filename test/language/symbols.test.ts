// Outline (document symbols), workspace symbols and folding of a real example.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentSymbol } from 'vscode-languageserver';
import { closeDocuments, createTestServices, examplePath, openDocuments, sharedExamples } from './lsp-test-helpers.js';

const services = createTestServices();
const text = readFileSync(join(sharedExamples, 'fashion-finetune.graft'), 'utf8');

const outline = (symbols: DocumentSymbol[]): unknown[] => symbols.map((s) => (s.children?.length ? { [s.name]: outline(s.children) } : s.name));

describe('symbols and folding', () => {
    test('the outline lists datasets, experiments and their named stages', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('outline'), text }]);
        try {
            const symbols = (await services.lsp.DocumentSymbolProvider!.getSymbols(docs[0], { textDocument: { uri: docs[0].uri.toString() } })) as DocumentSymbol[];
            expect(outline(symbols)).toEqual(['fashion5', { fashion_from_digits: ['fine_tune'] }]);
            const exp = symbols[1];
            expect(exp.range.start.line).toBe(16);
            expect(exp.selectionRange.start).toEqual({ line: 16, character: 11 });
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('workspace symbols find declarations of every file', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('ws'), text }, { path: examplePath('ws2'), text: 'dataset other {\n  source mnist\n}\n' }]);
        try {
            const symbols = await services.shared.lsp.WorkspaceSymbolProvider!.getSymbols({ query: '' });
            const names = symbols.map((s) => s.name);
            expect(names).toEqual(expect.arrayContaining(['fashion5', 'fashion_from_digits', 'other']));
        } finally {
            await closeDocuments(services, docs);
        }
    });

    test('declarations and blocks fold, keeping the closing brace visible', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('fold'), text }]);
        try {
            const ranges = await services.lsp.FoldingRangeProvider!.getFoldingRanges(docs[0], { textDocument: { uri: docs[0].uri.toString() } });
            const spans = ranges.map((r) => `${r.startLine}-${r.endLine}`);
            // 0-based lines: dataset 4..14 with its augment block 9..13; the experiment 16..46 with
            // its head 21..26, train 30..35 and stage 36..40 blocks.
            expect(spans).toEqual(['4-13', '9-12', '16-45', '21-25', '30-34', '36-39']);
        } finally {
            await closeDocuments(services, docs);
        }
    });
});
