// Syntax error messages. A name may be any word, every keyword included (the name rules of
// graft.langium), so Chevrotain's own message for a missing name would list `ID` and 160
// keywords one per line. Here a name is "a name", and in a list of expected token sequences the
// keyword alternatives a name already covers are left out: `backbone <name>` instead of
// `backbone accuracy`, `backbone adam`, ….
import { LangiumParserErrorMessageProvider, type Grammar } from 'langium';
import { keywordsOfNameRule, NAME_RULES } from '../name-rules.js';

// Chevrotain's option types, taken from Langium's provider (Graft does not depend on Chevrotain).
type MismatchOptions = Parameters<LangiumParserErrorMessageProvider['buildMismatchTokenMessage']>[0];
type NoViableAltOptions = Parameters<LangiumParserErrorMessageProvider['buildNoViableAltMessage']>[0];
type EarlyExitOptions = Parameters<LangiumParserErrorMessageProvider['buildEarlyExitMessage']>[0];
type TokenType = MismatchOptions['expected'];
type IToken = MismatchOptions['actual'];

const TERMINAL_LABELS: Record<string, string> = { ID: '<name>', NUMBER: '<number>', STRING: '"<text>"' };

export class GraftParserErrorMessageProvider extends LangiumParserErrorMessageProvider {
    /** Every keyword a name may be: a sequence ending in one of them is covered by `<name>`. */
    private readonly nameWords: Set<string>;

    constructor(grammar: Grammar) {
        super();
        this.nameWords = keywordsOfNameRule(grammar, 'Name');
    }

    override buildMismatchTokenMessage(options: MismatchOptions): string {
        const what = options.expected.name === 'ID' ? aName(options.actual) : `\`${label(options.expected)}\``;
        return `Expecting ${what} but found ${found(options.actual)}.`;
    }

    override buildNoViableAltMessage(options: NoViableAltOptions): string {
        if (NAME_RULES.has(options.ruleName)) return `Expecting ${aName(options.actual[0])} but found ${found(options.actual[0])}.`;
        return this.expecting(options.expectedPathsPerAlt.flat(), options.actual[0]);
    }

    override buildEarlyExitMessage(options: EarlyExitOptions): string {
        return this.expecting(options.expectedIterationPaths, options.actual[0]);
    }

    private expecting(paths: TokenType[][], actual: IToken | undefined): string {
        const rendered = [...new Set(this.withoutCoveredNames(paths).map((p) => p.map(label).join(' ')))];
        const what = rendered.length === 1 ? (rendered[0] === '<name>' ? aName(actual) : `\`${rendered[0]}\``) : `one of ${rendered.map((r) => `\`${r}\``).join(', ')}`;
        return `Expecting ${what} but found ${found(actual)}.`;
    }

    /** Drops `P kw` when `P <name>` is expected too and `kw` is a keyword a name may be. */
    private withoutCoveredNames(paths: TokenType[][]): TokenType[][] {
        const key = (p: TokenType[]): string => p.slice(0, -1).map((t) => t.name).join(' ');
        const withName = new Set(paths.filter((p) => p.length > 0 && p[p.length - 1].name === 'ID').map(key));
        return paths.filter((p) => {
            const last = p[p.length - 1];
            return !(last && this.nameWords.has(last.name) && withName.has(key(p)));
        });
    }
}

/** "a name", with the rule when what is there looks like a name that starts with a digit (`3d`). */
function aName(actual: IToken | undefined): string {
    return actual?.tokenType?.name === 'NUMBER' ? 'a name (a name starts with a letter or _)' : 'a name';
}

function label(token: TokenType): string {
    return TERMINAL_LABELS[token.name] ?? token.name;
}

function found(token: IToken | undefined): string {
    if (!token || token.tokenType?.name === 'EOF' || token.image === '') return 'the end of the file';
    return `\`${token.image}\``;
}
