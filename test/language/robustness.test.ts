// Every prefix of every example, cut at each token boundary, goes through the check pipeline
// (parse, link, validate, findings) and the editor features (format, completion, hover at the
// cut) without an exception. One set of services serves all prefixes: creating services per
// prefix (what `loadWorkspace` does) costs ~0.4 s and would take many minutes; the build path is
// the same one `loadWorkspace` runs.
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { clearDocuments } from 'langium/test';
import { createGraftServices } from '../../src/language/graft-module.js';
import type { Model } from '../../src/language/generated/ast.js';
import { canonicalLayout } from '../../src/language/lsp/canonical-layout.js';
import { findingsOf } from '../../src/runtime/cli/check.js';
import { sharedExamples } from './lsp-test-helpers.js';

const FILES = readdirSync(sharedExamples).filter((f) => f.endsWith('.graft') || f === 'invalid.graft.txt').sort();

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

describe('every prefix of every example survives check, format, completion and hover', () => {
    for (const file of FILES) {
        test(file, async () => {
            const { Graft: services } = createGraftServices(NodeFileSystem);
            const factory = services.shared.workspace.LangiumDocumentFactory;
            const documents = services.shared.workspace.LangiumDocuments;
            // The other examples form the workspace the prefix is checked in (cross-file names).
            const others = FILES.filter((f) => f !== file && f.endsWith('.graft')).map((f) => {
                const doc = factory.fromString<Model>(readFileSync(join(sharedExamples, f), 'utf8'), URI.file(join(sharedExamples, f)));
                documents.addDocument(doc);
                return doc;
            });
            await services.shared.workspace.DocumentBuilder.build(others, { validation: true });

            const text = readFileSync(join(sharedExamples, file), 'utf8');
            const cuts = tokenBoundaries(services, text);
            let checked = 0;
            // Langium catches an exception thrown by a validation check and turns it into an
            // "An error occurred during validation" diagnostic: that is a crash too.
            const internalErrors: string[] = [];
            for (const [i, cut] of cuts.entries()) {
                const prefix = text.slice(0, cut);
                const doc = factory.fromString<Model>(prefix, URI.file(join(sharedExamples, `__prefix_${process.pid}_${i}.graft`)));
                documents.addDocument(doc);
                try {
                    await services.shared.workspace.DocumentBuilder.build([doc], { validation: true });
                    const findings = findingsOf([doc]);
                    for (const f of findings) {
                        expect(f.line).toBeGreaterThan(0);
                        if (f.message.startsWith('An error occurred during')) internalErrors.push(`cut at line ${doc.textDocument.positionAt(cut).line + 1} col ${doc.textDocument.positionAt(cut).character + 1}: ${f.message}`);
                    }
                    canonicalLayout(doc);
                    const position = doc.textDocument.positionAt(prefix.length);
                    const params = { textDocument: { uri: doc.uri.toString() }, position };
                    await services.lsp.CompletionProvider!.getCompletion(doc, params);
                    const hoverPosition = doc.textDocument.positionAt(Math.max(0, prefix.length - 2));
                    await services.lsp.HoverProvider!.getHoverContent(doc, { ...params, position: hoverPosition });
                    checked++;
                } catch (err) {
                    throw new Error(`${file} cut at offset ${cut} (line ${doc.textDocument.positionAt(cut).line + 1}): ${(err as Error).stack}`);
                } finally {
                    await clearDocuments(services, [doc]);
                }
            }
            expect(checked).toBe(cuts.length);
            expect([...new Set(internalErrors.map((e) => e.replace(/^cut at [^:]*: /, '')))], `e.g. ${internalErrors[0]}`).toEqual([]);
        });
    }
});
