// Finds the `experiment` and `sweep` declarations of a .graft text, with their lines, for the
// CodeLens. A small scanner rather than the language server: CodeLens must appear instantly, even
// while the server is still starting, and it only needs names and positions. Comments and strings
// are skipped so that `// experiment old {` never gets a Run button.

export interface SpecDecl {
    kind: 'experiment' | 'sweep';
    name: string;
    /** 0-based line and column of the keyword. */
    line: number;
    column: number;
    /** For a sweep: the experiment it varies. */
    of?: string;
}

interface Token {
    text: string;
    line: number;
    column: number;
}

/** Splits into identifier-like words and single punctuation, dropping comments and strings. */
function* words(text: string): Generator<Token> {
    let line = 0;
    let lineStart = 0;
    let i = 0;
    const n = text.length;
    while (i < n) {
        const c = text[i]!;
        if (c === '\n') {
            line++;
            lineStart = ++i;
            continue;
        }
        if (c === '/' && text[i + 1] === '/') {
            while (i < n && text[i] !== '\n') i++;
            continue;
        }
        if (c === '/' && text[i + 1] === '*') {
            i += 2;
            while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
                if (text[i] === '\n') {
                    line++;
                    lineStart = i + 1;
                }
                i++;
            }
            i += 2;
            continue;
        }
        if (c === '"') {
            i++;
            while (i < n && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
            i++;
            continue;
        }
        if (/[A-Za-z_]/.test(c)) {
            const start = i;
            while (i < n && /[A-Za-z0-9_]/.test(text[i]!)) i++;
            yield { text: text.slice(start, i), line, column: start - lineStart };
            continue;
        }
        if (c === '{' || c === '}') yield { text: c, line, column: i - lineStart };
        i++;
    }
}

/** Top-level declarations only (brace depth 0), in file order. */
export function findDeclarations(text: string): SpecDecl[] {
    const out: SpecDecl[] = [];
    const toks = [...words(text)];
    let depth = 0;
    for (let k = 0; k < toks.length; k++) {
        const t = toks[k]!;
        if (t.text === '{') depth++;
        else if (t.text === '}') depth = Math.max(0, depth - 1);
        else if (depth === 0 && (t.text === 'experiment' || t.text === 'sweep')) {
            const name = toks[k + 1];
            if (!name || !/^[A-Za-z_]/.test(name.text)) continue;
            const decl: SpecDecl = { kind: t.text, name: name.text, line: t.line, column: t.column };
            if (t.text === 'sweep' && toks[k + 2]?.text === 'of' && toks[k + 3]) decl.of = toks[k + 3]!.text;
            out.push(decl);
        }
    }
    return out;
}
