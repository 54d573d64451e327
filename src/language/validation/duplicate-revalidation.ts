// Names are global across the workspace, so whether a declaration is a duplicate depends on other
// files. Langium rebuilds a document when a file it *references* changes, not when a file that
// declares the *same name* changes; without help, removing a duplicate in one file would leave a
// stale `duplicate-name` error in the other, and adding one would show it only in the edited file.
// This update listener also rebuilds the documents whose declarations may collide with a change.
// The same holds for the words a document uses with their keyword meaning (`backbone resnet18`,
// `evaluate on test`): whether that shadows a declaration elsewhere (name-checks.ts) depends on
// other files too.
import { AstUtils, DocumentState, type LangiumDocument, type URI } from 'langium';
import { isEvaluateProp, isZooBackbone, type Model } from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { Codes } from './codes.js';

/** Top-level names a document declares. */
function declaredNames(document: LangiumDocument): string[] {
    const model = document.parseResult?.value as Model | undefined;
    return (model?.elements ?? []).map((e) => e.name).filter((n): n is string => typeof n === 'string');
}

/** Words a document uses where they keep their keyword meaning though a declaration could share them. */
function shadowingWords(document: LangiumDocument): string[] {
    const model = document.parseResult?.value as Model | undefined;
    if (!model) return [];
    const words: string[] = [];
    for (const node of AstUtils.streamAllContents(model)) {
        if (isZooBackbone(node) && node.arch) words.push(node.arch);
        else if (isEvaluateProp(node) && node.test) words.push('test');
    }
    return words;
}

export function registerDuplicateRevalidation(services: GraftServices): void {
    const shared = services.shared;
    shared.workspace.DocumentBuilder.onUpdate((changed: URI[], deleted: URI[]) => {
        const changedUris = new Set([...changed, ...deleted].map((u) => u.toString()));
        if (changedUris.size === 0) return;
        // Names the changed files declared before the change (the index still holds them) ...
        const before = shared.workspace.IndexManager.allElements(undefined, changedUris).map((d) => d.name);
        const names = new Set(before);
        // ... and words of their new text (a cheap superset of the names they declare now);
        // for shadowing, only the words after `experiment` and `dataset` (a tighter superset, so
        // that every file mentioning `small_cnn` is not rebuilt on each keystroke elsewhere).
        const declaredNow = new Set(before);
        for (const uri of changed) {
            const text = shared.workspace.TextDocuments?.get(uri.toString())?.getText();
            if (!text) continue;
            for (const word of text.match(/[_a-zA-Z]\w*/g) ?? []) names.add(word);
            for (const match of text.matchAll(/\b(?:experiment|dataset)\s+([_a-zA-Z]\w*)/g)) declaredNow.add(match[1]);
        }
        for (const document of shared.workspace.LangiumDocuments.all) {
            if (changedUris.has(document.uri.toString()) || document.state < DocumentState.Linked) continue;
            const stale = document.diagnostics?.some((d) => d.code === Codes.duplicateName || d.code === Codes.ambiguousName) ?? false;
            const collides = declaredNames(document).some((n) => names.has(n)) || shadowingWords(document).some((w) => declaredNow.has(w));
            if (!stale && !collides) continue;
            // The same reset Langium applies to documents it relinks: rebuilt from linking onwards.
            services.references.Linker.unlink(document);
            document.state = DocumentState.ComputedScopes;
            document.diagnostics = undefined;
        }
    });
}
