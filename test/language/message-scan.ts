// What users read must never show a JavaScript artefact: `undefined`, `null`, `NaN` as words or
// `[object Object]`. The message tests (messages.test.ts over whole documents and the CLI,
// robustness.test.ts over every prefix) collect the texts of diagnostics, hovers, completion
// items, code actions and formatter refusals here and report each bad one with where it came from.
import type { LangiumDocument } from 'langium';
import type { CodeAction, Command, CompletionItem, Diagnostic } from 'vscode-languageserver';
import type { GraftServices } from '../../src/language/graft-module.js';

const BAD = /\b(?:undefined|null|NaN)\b|\[object Object\]/;

export class MessageScan {
    readonly bad: string[] = [];
    count = 0;

    /** Checks one text; `where` says which feature produced it and at which spot. */
    text(where: string, text: string | undefined): void {
        if (text === undefined) return;
        this.count++;
        if (BAD.test(text)) this.bad.push(`${where}: ${JSON.stringify(text)}`);
    }

    /** Every string inside a JSON value (a JSON `null` is data, not a message). */
    json(where: string, value: unknown): void {
        if (typeof value === 'string') this.text(where, value);
        else if (Array.isArray(value)) value.forEach((v, i) => this.json(`${where}[${i}]`, v));
        else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) this.json(`${where}.${k}`, v);
    }

    diagnostics(where: string, diagnostics: readonly Diagnostic[]): void {
        for (const d of diagnostics) this.text(`${where} diagnostic ${d.range.start.line + 1}:${d.range.start.character + 1}`, d.message);
    }

    completion(where: string, items: readonly CompletionItem[]): void {
        for (const item of items) {
            this.text(`${where} completion label`, item.label);
            this.text(`${where} completion detail`, item.detail);
            this.text(`${where} completion label detail`, item.labelDetails?.detail ?? item.labelDetails?.description);
            const doc = item.documentation;
            this.text(`${where} completion documentation`, typeof doc === 'string' ? doc : doc?.value);
            if (item.textEdit) this.text(`${where} completion edit`, item.textEdit.newText);
        }
    }

    hover(where: string, markdown: string | undefined): void {
        this.text(`${where} hover`, markdown);
    }

    actions(where: string, actions: ReadonlyArray<CodeAction | Command> | undefined): void {
        for (const action of actions ?? []) this.text(`${where} code action`, action.title);
    }
}

/** The code actions offered for each diagnostic of a built document. */
export async function codeActionsOf(services: GraftServices, doc: LangiumDocument): Promise<Array<CodeAction | Command>> {
    const all: Array<CodeAction | Command> = [];
    for (const diagnostic of doc.diagnostics ?? []) {
        const actions = await services.lsp.CodeActionProvider!.getCodeActions(doc, {
            textDocument: { uri: doc.uri.toString() },
            range: diagnostic.range,
            context: { diagnostics: [diagnostic] }
        });
        if (Array.isArray(actions)) all.push(...actions);
    }
    return all;
}

/** The markdown of a hover result, if any. */
export function hoverText(hover: { contents: unknown } | undefined): string | undefined {
    const contents = hover?.contents;
    return contents && typeof contents === 'object' && 'value' in contents ? String((contents as { value: unknown }).value) : undefined;
}
