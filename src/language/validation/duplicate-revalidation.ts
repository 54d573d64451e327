// Names are global across the workspace, so whether a declaration is a duplicate depends on other
// files. Langium rebuilds a document when a file it *references* changes, not when a file that
// declares the *same name* changes; without help, removing a duplicate in one file would leave a
// stale `duplicate-name` error in the other, and adding one would show it only in the edited file.
// This update listener also rebuilds the documents whose declarations may collide with a change.
import { DocumentState, type LangiumDocument, type URI } from 'langium';
import type { Model } from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { Codes } from './codes.js';

/** Top-level names a document declares. */
function declaredNames(document: LangiumDocument): string[] {
    const model = document.parseResult?.value as Model | undefined;
    return (model?.elements ?? []).map((e) => e.name).filter((n): n is string => typeof n === 'string');
}

export function registerDuplicateRevalidation(services: GraftServices): void {
    const shared = services.shared;
    shared.workspace.DocumentBuilder.onUpdate((changed: URI[], deleted: URI[]) => {
        const changedUris = new Set([...changed, ...deleted].map((u) => u.toString()));
        if (changedUris.size === 0) return;
        // Names the changed files declared before the change (the index still holds them) ...
        const names = new Set(shared.workspace.IndexManager.allElements(undefined, changedUris).map((d) => d.name));
        // ... and words of their new text (a cheap superset of the names they declare now).
        for (const uri of changed) {
            const text = shared.workspace.TextDocuments?.get(uri.toString())?.getText();
            if (text) for (const word of text.match(/[_a-zA-Z]\w*/g) ?? []) names.add(word);
        }
        for (const document of shared.workspace.LangiumDocuments.all) {
            if (changedUris.has(document.uri.toString()) || document.state < DocumentState.Linked) continue;
            const stale = document.diagnostics?.some((d) => d.code === Codes.duplicateName) ?? false;
            if (!stale && !declaredNames(document).some((n) => names.has(n))) continue;
            // The same reset Langium applies to documents it relinks: rebuilt from linking onwards.
            services.references.Linker.unlink(document);
            document.state = DocumentState.ComputedScopes;
            document.diagnostics = undefined;
        }
    });
}
