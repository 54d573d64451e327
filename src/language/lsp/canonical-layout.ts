// The canonical layout of a .graft file, computed from its syntax tree: every token keeps its
// text, only the whitespace between tokens changes. That makes the formatter safe (it can never
// change what a file means), idempotent, and gives minimal edits (only gaps that differ).
//
// The layout: 2-space indentation per `{`, one statement per line, `{` on the declaration line,
// exactly one blank line between top-level declarations, at most one blank line kept between
// statements inside a block (the author's grouping, as gofmt keeps it), single spaces elsewhere,
// no space before `,` and `%`, none around `..`, `{}` for an empty block, and comments kept where
// they are: a comment that followed code on the same line stays there after one space; a comment
// on its own line stays on its own line, indented like the statement it precedes.

import { CstUtils, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import type { TextEdit } from 'vscode-languageserver-types';

const INDENT = '  ';

/** Array properties whose elements are statements of a block (one per line). */
const STATEMENT_PROPERTIES = new Set(['elements', 'props', 'ops', 'layers', 'settings', 'items']);

interface Token {
    offset: number;
    end: number;
    text: string;
    comment?: 'line' | 'block';
}

export type LayoutResult =
    | { ok: true; edits: TextEdit[]; text: string }
    | { ok: false; reason: string };

/** Why a document must not be reformatted, or undefined when it may be. */
export function formattingBlocker(document: LangiumDocument): string | undefined {
    const { lexerErrors, parserErrors } = document.parseResult;
    const first = lexerErrors[0] ?? undefined;
    if (first) return `line ${first.line ?? '?'}:${first.column ?? '?'}: ${first.message}`;
    const perr = parserErrors[0];
    if (perr) {
        const line = Number.isNaN(perr.token.startLine) || perr.token.startLine === undefined ? 'end of file' : `line ${perr.token.startLine}:${perr.token.startColumn}`;
        return `${line}: ${perr.message}`;
    }
    return undefined;
}

/** Offsets of the first token of every statement; `true` marks top-level declarations. */
function statementStarts(root: AstNode): Map<number, boolean> {
    const starts = new Map<number, boolean>();
    const visit = (node: AstNode): void => {
        for (const [key, value] of Object.entries(node)) {
            if (key.startsWith('$') || !Array.isArray(value)) continue;
            for (const child of value as unknown[]) {
                if (!isAstNode(child)) continue;
                if (STATEMENT_PROPERTIES.has(key) && child.$cstNode) starts.set(child.$cstNode.offset, key === 'elements');
                visit(child);
            }
        }
        for (const [key, value] of Object.entries(node)) {
            if (!key.startsWith('$') && isAstNode(value)) visit(value);
        }
    };
    visit(root);
    return starts;
}

function isAstNode(value: unknown): value is AstNode {
    return typeof value === 'object' && value !== null && typeof (value as AstNode).$type === 'string';
}

function tokensOf(root: CstNode, text: string): Token[] {
    const tokens: Token[] = [];
    for (const leaf of CstUtils.flattenCst(root)) {
        if (leaf.length === 0) continue;
        const t = text.slice(leaf.offset, leaf.end);
        let comment: Token['comment'];
        if (leaf.hidden) {
            if (t.startsWith('//')) comment = 'line';
            else if (t.startsWith('/*')) comment = 'block';
            else continue; // hidden whitespace, should it ever be kept in the tree
        }
        tokens.push({ offset: leaf.offset, end: leaf.end, text: t, comment });
    }
    return tokens.sort((a, b) => a.offset - b.offset);
}

const newlines = (gap: string): number => gap.split('\n').length - 1;

/**
 * Computes the edits that bring `document` into the canonical layout. Refuses (ok: false) when the
 * file has syntax errors: a partial tree could move text into the wrong place.
 */
export function canonicalLayout(document: LangiumDocument): LayoutResult {
    const blocker = formattingBlocker(document);
    if (blocker) return { ok: false, reason: blocker };
    const text = document.textDocument.getText();
    const root = document.parseResult.value;
    if (!root.$cstNode) return { ok: true, edits: [], text };
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const tokens = tokensOf(root.$cstNode, text);
    const starts = statementStarts(root);
    const gaps: string[] = [];
    let depth = 0;
    let prev: Token | undefined;
    let prevCode: Token | undefined; // previous non-comment token
    let afterDecl = false; // a top-level declaration just closed (trailing comments aside)
    for (const tok of tokens) {
        const gap = text.slice(prev?.end ?? 0, tok.offset);
        if (/\S/.test(gap)) return { ok: false, reason: `unexpected text at offset ${prev?.end ?? 0}` };
        const blank = newlines(gap) >= 2;
        const line = (d: number, lines = 1): string => eol.repeat(lines) + INDENT.repeat(Math.max(0, d));
        let ws: string;
        if (!prev) {
            ws = '';
        } else if (tok.comment) {
            if (newlines(gap) === 0) ws = ' ';
            else if (depth === 0 && afterDecl) ws = line(0, 2);
            else ws = line(depth, blank && prev.text !== '{' ? 2 : 1);
        } else if (tok.text === '}') {
            depth--;
            ws = prev === prevCode && prev.text === '{' ? '' : line(depth);
        } else if (starts.has(tok.offset)) {
            if (depth === 0) ws = line(0, afterDecl || blank ? 2 : 1);
            else ws = line(depth, blank && prev.text !== '{' ? 2 : 1);
        } else if (prev.comment === 'line' || (prev.comment && newlines(gap) > 0)) {
            // A comment inside a statement pushed the rest of it to the next line: continuation indent.
            ws = line(depth + 1);
        } else if (tok.text === ',' || tok.text === '%' || tok.text === '..' || prev.text === '..') {
            ws = '';
        } else {
            ws = ' ';
        }
        if (tok.text === '{' && !tok.comment) depth++;
        if (!tok.comment) afterDecl = tok.text === '}' && depth === 0;
        else if (ws.includes('\n')) afterDecl = false;
        gaps.push(ws);
        prev = tok;
        if (!tok.comment) prevCode = tok;
    }
    if (depth !== 0) return { ok: false, reason: 'unbalanced braces' };

    const edits: TextEdit[] = [];
    const td = document.textDocument;
    const push = (from: number, to: number, newText: string): void => {
        if (text.slice(from, to) !== newText) edits.push({ range: { start: td.positionAt(from), end: td.positionAt(to) }, newText });
    };
    let out = '';
    let cursor = 0;
    tokens.forEach((tok, i) => {
        push(cursor, tok.offset, gaps[i]);
        out += gaps[i] + tok.text;
        cursor = tok.end;
    });
    const tail = tokens.length > 0 ? eol : '';
    if (/\S/.test(text.slice(cursor))) return { ok: false, reason: `unexpected text at offset ${cursor}` };
    push(cursor, text.length, tail);
    out += tail;
    return { ok: true, edits, text: out };
}
