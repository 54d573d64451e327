// Shared by the language-feature tests: real services over the real file system, documents
// placed at chosen paths (so that relative data paths resolve like a saved spec's), and a `<|>`
// marker for the cursor.
import { join } from 'node:path';
import { URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { clearDocuments } from 'langium/test';
import type { CompletionItem, Hover } from 'vscode-languageserver';
import { createGraftServices, type GraftServices } from '../../src/language/graft-module.js';
import type { Model } from '../../src/language/generated/ast.js';

export const sharedExamples = join(import.meta.dirname, '../../examples');

export function createTestServices(): GraftServices {
    return createGraftServices(NodeFileSystem).Graft;
}

let counter = 0;

/** A fresh path for a virtual spec beside the shared examples (its data folder resolves). */
export function examplePath(name = 'spec'): string {
    return join(sharedExamples, `__test_${name}_${process.pid}_${counter++}.graft`);
}

/** Adds the documents (path → text) to the workspace and builds them together. */
export async function openDocuments(services: GraftServices, files: Array<{ path: string; text: string }>, validation = false): Promise<LangiumDocument<Model>[]> {
    const factory = services.shared.workspace.LangiumDocumentFactory;
    const docs = files.map((f) => {
        const doc = factory.fromString<Model>(f.text, URI.file(f.path));
        services.shared.workspace.LangiumDocuments.addDocument(doc);
        return doc;
    });
    await services.shared.workspace.DocumentBuilder.build(docs, { validation });
    return docs;
}

export async function closeDocuments(services: GraftServices, docs: LangiumDocument[]): Promise<void> {
    await clearDocuments(services, docs);
}

/** Splits `<|>` out of the text. */
export function withCursor(marked: string): { text: string; offset: number } {
    const offset = marked.indexOf('<|>');
    if (offset < 0) throw new Error('no <|> marker');
    return { text: marked.slice(0, offset) + marked.slice(offset + 3), offset };
}

/** Completion items at the `<|>` marker of `marked`, with `others` in the same workspace. */
export async function completionAt(services: GraftServices, marked: string, path = examplePath('completion'), others: Array<{ path: string; text: string }> = []): Promise<CompletionItem[]> {
    const { text, offset } = withCursor(marked);
    const docs = await openDocuments(services, [{ path, text }, ...others]);
    try {
        const doc = docs[0];
        const result = await services.lsp.CompletionProvider!.getCompletion(doc, {
            textDocument: { uri: doc.uri.toString() },
            position: doc.textDocument.positionAt(offset)
        });
        return result?.items ?? [];
    } finally {
        await closeDocuments(services, docs);
    }
}

/** The markdown of the hover at the `<|>` marker, if any. */
export async function hoverAt(services: GraftServices, marked: string, path = examplePath('hover'), others: Array<{ path: string; text: string }> = []): Promise<string | undefined> {
    const { text, offset } = withCursor(marked);
    const docs = await openDocuments(services, [{ path, text }, ...others]);
    try {
        const doc = docs[0];
        const hover: Hover | undefined = await services.lsp.HoverProvider!.getHoverContent(doc, {
            textDocument: { uri: doc.uri.toString() },
            position: doc.textDocument.positionAt(offset)
        });
        const contents = hover?.contents;
        return contents && typeof contents === 'object' && 'value' in contents ? contents.value : undefined;
    } finally {
        await closeDocuments(services, docs);
    }
}

export const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);
