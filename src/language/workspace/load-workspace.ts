// Loads a set of .graft files as one Langium workspace (names are global across them), builds
// and validates them. Used by the CLI (check, fmt, plan, run) and by tests; the language server
// gets the same behaviour from Langium's workspace manager.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import type { Diagnostic } from 'vscode-languageserver-types';
import { createGraftServices, type GraftServices } from '../graft-module.js';
import type { Model } from '../generated/ast.js';
import { WorkspaceInputError } from './input-error.js';
import { SKIPPED_DIRS } from './skipped-dirs.js';



export interface LoadedWorkspace {
    services: GraftServices;
    documents: LangiumDocument<Model>[];
}

export { WorkspaceInputError };

/** Expands files and folders into the sorted list of .graft files they hold. */
export function collectGraftFiles(paths: string[]): string[] {
    const found = new Set<string>();
    const visit = (path: string, explicit: boolean): void => {
        let stat;
        try {
            stat = statSync(path);
        } catch {
            if (explicit) throw new WorkspaceInputError(`${path}: no such file or folder`);
            return;
        }
        if (stat.isDirectory()) {
            for (const entry of readdirSync(path).sort()) {
                if (entry.startsWith('.') || SKIPPED_DIRS.has(entry)) continue;
                visit(join(path, entry), false);
            }
        } else if (explicit || extname(path) === '.graft') {
            found.add(resolve(path));
        }
    };
    for (const p of paths) visit(p, true);
    return [...found].sort();
}

/**
 * Parses, links and validates the given files as one workspace. `texts` may override the content
 * of a file (e.g. an unsaved buffer or a formatted version).
 */
export async function loadWorkspace(files: string[], options: { validate?: boolean; texts?: Map<string, string> } = {}): Promise<LoadedWorkspace> {
    const { Graft: services } = createGraftServices(NodeFileSystem);
    const factory = services.shared.workspace.LangiumDocumentFactory;
    const documents: LangiumDocument<Model>[] = [];
    for (const file of files) {
        let text = options.texts?.get(file);
        if (text === undefined) {
            try {
                text = readFileSync(file, 'utf8');
            } catch (err) {
                throw new WorkspaceInputError(`${file}: cannot read (${(err as Error).message})`);
            }
        }
        const doc = factory.fromString<Model>(text, URI.file(file));
        services.shared.workspace.LangiumDocuments.addDocument(doc);
        documents.push(doc);
    }
    await services.shared.workspace.DocumentBuilder.build(documents, { validation: options.validate ?? true });
    return { services, documents };
}

/** Diagnostics of a built document (empty when validation was off). */
export function diagnosticsOf(doc: LangiumDocument): Diagnostic[] {
    return doc.diagnostics ?? [];
}
