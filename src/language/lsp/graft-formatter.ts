// Graft's formatter: one canonical layout (see canonical-layout.ts). Whole-document and range
// formatting share the same computation; a range request gets only the edits inside the range.
// A file with syntax errors is left alone: its tree may be partial, and moving text around it
// could change what the author meant.
import type { Formatter } from 'langium/lsp';
import type { LangiumDocument } from 'langium';
import type {
    DocumentFormattingParams,
    DocumentOnTypeFormattingOptions,
    DocumentRangeFormattingParams,
    Position,
    Range,
    TextEdit
} from 'vscode-languageserver';
import { canonicalLayout } from './canonical-layout.js';

const before = (a: Position, b: Position): boolean => a.line < b.line || (a.line === b.line && a.character <= b.character);
const overlaps = (edit: Range, range: Range): boolean => before(range.start, edit.end) && before(edit.start, range.end);

export class GraftFormatter implements Formatter {
    formatDocument(document: LangiumDocument, params: DocumentFormattingParams): TextEdit[] {
        void params; // the layout is canonical: tab size and spaces options do not change it
        const result = canonicalLayout(document);
        return result.ok ? result.edits : [];
    }

    formatDocumentRange(document: LangiumDocument, params: DocumentRangeFormattingParams): TextEdit[] {
        const result = canonicalLayout(document);
        return result.ok ? result.edits.filter((e) => overlaps(e.range, params.range)) : [];
    }

    formatDocumentOnType(): TextEdit[] {
        return [];
    }

    get formatOnTypeOptions(): DocumentOnTypeFormattingOptions | undefined {
        return undefined;
    }
}
