// Every prefix of every example, cut at each token boundary, goes through the check pipeline
// (parse, link, validate, findings) and the editor features (format, completion and hover at the
// cut, code actions for its diagnostics) without an exception, and no text any of them produces
// shows `undefined`, `null`, `NaN` or `[object Object]` (message-scan.ts). The examples are the
// repository's own (examples/*.graft) with the invalid examples and the keyword-names spec of
// test/fixtures, all placed in examples/ so that relative data paths resolve. One set of
// services serves all prefixes: creating services per prefix (what `loadWorkspace` does) costs
// ~0.4 s and would take many minutes; the build path is the same one `loadWorkspace` runs.
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { clearDocuments } from 'langium/test';
import { createGraftServices } from '../../src/language/graft-module.js';
import type { Model } from '../../src/language/generated/ast.js';
import { canonicalLayout } from '../../src/language/lsp/canonical-layout.js';
import { findingsOf } from '../../src/cli/check.js';
import { codeActionsOf, hoverText, MessageScan } from './message-scan.js';

const projectExamples = join(import.meta.dirname, '../../examples');
const fixtures = join(import.meta.dirname, '../fixtures');
/** Where each example is read from; every one is checked as if it lay in examples/. */
const SOURCES = [
    ...readdirSync(projectExamples).filter((f) => f.endsWith('.graft')).map((f) => join(projectExamples, f)),
    join(projectExamples, 'invalid.graft.txt'),
    join(fixtures, 'invalid/invalid-names.graft'),
    join(fixtures, 'keyword-names/keyword-names.graft')
].sort((a, b) => basename(a).localeCompare(basename(b)));
const FILES = SOURCES.map((f) => basename(f));
const sourceOf = (file: string): string => SOURCES[FILES.indexOf(file)];

/**
 * Offsets right after each token (comments included), plus the empty file and the whole file:
 * every prefix that ends on a token. (Cutting before a token as well would only add the
 * whitespace in between, and double the run time.)
 */
function tokenBoundaries(services: ReturnType<typeof createGraftServices>['Graft'], text: string): number[] {
    const lexed = services.parser.Lexer.tokenize(text);
    const cuts = new Set<number>([0, text.length]);
    for (const t of [...lexed.tokens, ...(lexed.hidden ?? [])]) cuts.add(t.startOffset + t.image.length);
    return [...cuts].sort((a, b) => a - b);
}

describe('every prefix of every example survives check, format, completion, hover and code actions, with clean messages', () => {
    for (const file of FILES) {
        test(file, async () => {
            const { Graft: services } = createGraftServices(NodeFileSystem);
            const factory = services.shared.workspace.LangiumDocumentFactory;
            const documents = services.shared.workspace.LangiumDocuments;
            // The other examples form the workspace the prefix is checked in (cross-file names).
            const others = FILES.filter((f) => f !== file).map((f) => {
                const doc = factory.fromString<Model>(readFileSync(sourceOf(f), 'utf8'), URI.file(join(projectExamples, f)));
                documents.addDocument(doc);
                return doc;
            });
            await services.shared.workspace.DocumentBuilder.build(others, { validation: true });

            const text = readFileSync(sourceOf(file), 'utf8');
            const scan = new MessageScan();
            const cuts = tokenBoundaries(services, text);
            let checked = 0;
            // Langium catches an exception thrown by a validation check and turns it into an
            // "An error occurred during validation" diagnostic: that is a crash too.
            const internalErrors: string[] = [];
            for (const [i, cut] of cuts.entries()) {
                const prefix = text.slice(0, cut);
                const doc = factory.fromString<Model>(prefix, URI.file(join(projectExamples, `__prefix_${process.pid}_${i}.graft`)));
                documents.addDocument(doc);
                try {
                    await services.shared.workspace.DocumentBuilder.build([doc], { validation: true });
                    const where = `${file} cut at ${doc.textDocument.positionAt(cut).line + 1}:${doc.textDocument.positionAt(cut).character + 1}`;
                    const findings = findingsOf([doc]);
                    for (const f of findings) {
                        expect(f.line).toBeGreaterThan(0);
                        if (f.message.startsWith('An error occurred during')) internalErrors.push(`cut at line ${doc.textDocument.positionAt(cut).line + 1} col ${doc.textDocument.positionAt(cut).character + 1}: ${f.message}`);
                        scan.text(`${where} ${f.code}`, f.message);
                    }
                    const layout = canonicalLayout(doc);
                    if (!layout.ok) scan.text(`${where} formatter`, layout.reason);
                    const position = doc.textDocument.positionAt(prefix.length);
                    const params = { textDocument: { uri: doc.uri.toString() }, position };
                    scan.completion(where, (await services.lsp.CompletionProvider!.getCompletion(doc, params))?.items ?? []);
                    const hoverPosition = doc.textDocument.positionAt(Math.max(0, prefix.length - 2));
                    scan.hover(where, hoverText(await services.lsp.HoverProvider!.getHoverContent(doc, { ...params, position: hoverPosition })));
                    scan.actions(where, await codeActionsOf(services, doc));
                    checked++;
                } catch (err) {
                    throw new Error(`${file} cut at offset ${cut} (line ${doc.textDocument.positionAt(cut).line + 1}): ${(err as Error).stack}`);
                } finally {
                    await clearDocuments(services, [doc]);
                }
            }
            expect(checked).toBe(cuts.length);
            expect(scan.count).toBeGreaterThan(cuts.length);
            expect(scan.bad.slice(0, 20), `${scan.bad.length} bad messages`).toEqual([]);
            expect([...new Set(internalErrors.map((e) => e.replace(/^cut at [^:]*: /, '')))], `e.g. ${internalErrors[0]}`).toEqual([]);
        });
    }
});
