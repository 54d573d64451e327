// Quick fixes for the diagnostics where the fix is obvious: complete the split to 100%, the
// nearest layer name, the nearest offered alpha, the activation the task needs, the loss the
// output needs, a missing `output`, and a fine-tuning learning rate ten times below the first
// stage's. Each keys on the stable code in the diagnostic's data (validation/codes.ts).
import { CstUtils, GrammarUtils, type AstNode, type LangiumDocument } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Command, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver';
import { isHead, isSplitProp, isZooBackbone, type Head } from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { Codes, type GraftDiagnosticData } from '../validation/codes.js';

function dataOf(diagnostic: Diagnostic): GraftDiagnosticData | undefined {
    const data = diagnostic.data as Partial<GraftDiagnosticData> | undefined;
    return data && typeof data.code === 'string' ? (data as GraftDiagnosticData) : undefined;
}

export class GraftCodeActionProvider implements CodeActionProvider {
    constructor(protected readonly services: GraftServices) {}

    getCodeActions(document: LangiumDocument, params: CodeActionParams): Array<Command | CodeAction> {
        const actions: CodeAction[] = [];
        for (const diagnostic of params.context.diagnostics) {
            const data = dataOf(diagnostic);
            if (!data) continue;
            actions.push(...this.fixesFor(document, diagnostic, data));
        }
        return actions;
    }

    private fixesFor(document: LangiumDocument, diagnostic: Diagnostic, data: GraftDiagnosticData): CodeAction[] {
        switch (data.code) {
            case Codes.splitSum:
                return this.fixSplit(document, diagnostic, data);
            case Codes.unknownLayer:
                return (data.candidates ?? []).map((name, i) => this.replace(document, diagnostic, `Change to "${name}"`, diagnostic.range, JSON.stringify(name), i === 0));
            case Codes.alphaUnsupported:
                return this.fixAlpha(document, diagnostic, data);
            case Codes.taskActivation:
                return data.suggestion ? [this.replace(document, diagnostic, `Use ${data.suggestion}`, diagnostic.range, data.suggestion, true)] : [];
            case Codes.lossTask:
                return data.suggestion ? [this.replace(document, diagnostic, `Use ${data.suggestion}`, diagnostic.range, data.suggestion, true)] : [];
            case Codes.finetuneLr:
                return data.suggestion ? [this.replace(document, diagnostic, `Lower the learning rate to ${data.suggestion}`, diagnostic.range, data.suggestion, true)] : [];
            case Codes.missingOutput:
                return this.addOutput(document, diagnostic, data);
            default:
                return [];
        }
    }

    /** Sets the last part of the split so that the parts sum to 100%. */
    private fixSplit(document: LangiumDocument, diagnostic: Diagnostic, data: GraftDiagnosticData): CodeAction[] {
        const split = this.nodeAt(document, diagnostic.range, isSplitProp);
        const last = split?.parts[split.parts.length - 1];
        const percent = GrammarUtils.findNodeForProperty(last?.$cstNode, 'percent');
        if (!last || !percent || data.suggestion === undefined) return [];
        return [this.replace(document, diagnostic, `Make ${last.split} ${data.suggestion}% so the split sums to 100%`, percent.range, data.suggestion, true)];
    }

    /** The nearest offered alpha; for an architecture without alphas, removes `alpha <a>`. */
    private fixAlpha(document: LangiumDocument, diagnostic: Diagnostic, data: GraftDiagnosticData): CodeAction[] {
        if (data.candidates && data.candidates.length > 0) {
            return data.candidates.slice(0, 3).map((alpha, i) => this.replace(document, diagnostic, `Use alpha ${alpha}`, diagnostic.range, alpha, i === 0));
        }
        const backbone = this.nodeAt(document, diagnostic.range, isZooBackbone);
        const keyword = GrammarUtils.findNodeForKeyword(backbone?.$cstNode, 'alpha');
        if (!backbone || !keyword) return [];
        // Remove from the space before `alpha` to the end of the number.
        const text = document.textDocument.getText();
        let start = keyword.offset;
        while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
        const range = { start: document.textDocument.positionAt(start), end: diagnostic.range.end };
        return [this.replace(document, diagnostic, `Remove alpha (${backbone.arch} has none)`, range, '', true)];
    }

    /** Adds `output softmax|sigmoid` as the head's last layer, on its own line. */
    private addOutput(document: LangiumDocument, diagnostic: Diagnostic, data: GraftDiagnosticData): CodeAction[] {
        const head = this.nodeAt(document, diagnostic.range, isHead);
        const activation = data.suggestion ?? 'softmax';
        if (!head?.$cstNode) return [];
        const edit = this.outputInsertion(head, `output ${activation}`);
        if (!edit) return [];
        const action: CodeAction = {
            title: `Add \`output ${activation}\``,
            kind: CodeActionKind.QuickFix,
            diagnostics: [diagnostic],
            isPreferred: true,
            edit: { changes: { [document.textDocument.uri]: [edit] } }
        };
        const other = activation === 'softmax' ? 'sigmoid' : 'softmax';
        const alternative = this.outputInsertion(head, `output ${other}`);
        return alternative
            ? [action, { title: `Add \`output ${other}\``, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: { changes: { [document.textDocument.uri]: [alternative] } } }]
            : [action];
    }

    private outputInsertion(head: Head, line: string): TextEdit | undefined {
        const last = head.layers[head.layers.length - 1];
        if (last?.$cstNode) {
            const end = last.$cstNode.range.end;
            const indent = ' '.repeat(last.$cstNode.range.start.character);
            const sameLineAsHead = last.$cstNode.range.start.line === head.$cstNode!.range.start.line;
            return sameLineAsHead ? { range: { start: end, end }, newText: ` ${line}` } : { range: { start: end, end }, newText: `\n${indent}${line}` };
        }
        const brace = GrammarUtils.findNodeForKeyword(head.$cstNode, '{');
        if (!brace) return undefined;
        const closing = GrammarUtils.findNodeForKeyword(head.$cstNode, '}');
        const multiLine = closing !== undefined && closing.range.start.line > brace.range.start.line;
        const headIndent = ' '.repeat(head.$cstNode!.range.start.character);
        const pos = brace.range.end;
        return multiLine ? { range: { start: pos, end: pos }, newText: `\n${headIndent}    ${line}` } : { range: { start: pos, end: closing?.range.start ?? pos }, newText: ` ${line} ` };
    }

    private replace(document: LangiumDocument, diagnostic: Diagnostic, title: string, range: Range, newText: string, preferred: boolean): CodeAction {
        return {
            title,
            kind: CodeActionKind.QuickFix,
            diagnostics: [diagnostic],
            isPreferred: preferred,
            edit: { changes: { [document.textDocument.uri]: [{ range, newText }] } }
        };
    }

    /** The innermost node of the wanted type that contains the start of `range`. */
    private nodeAt<T extends AstNode>(document: LangiumDocument, range: Range, is: (node: unknown) => node is T): T | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const leaf = CstUtils.findLeafNodeAtOffset(root, document.textDocument.offsetAt(range.start));
        let node: AstNode | undefined = leaf?.astNode;
        while (node && !is(node)) node = node.$container;
        return node;
    }
}
