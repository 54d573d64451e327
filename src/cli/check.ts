// `graft check <files or folders>`: validates all .graft files as one workspace (names are
// global across files) and prints one line per diagnostic, or JSON for tools.
// Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage or I/O problems.
import type { LangiumDocument } from 'langium';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import { diagnosticsOf, loadWorkspace, WorkspaceInputError } from '../language/workspace/load-workspace.js';
import { displayPath, pathArguments, readSpecFiles } from './cli-input.js';

const HELP = `usage: graft check [--format text|json] <files or folders>...

Validates every .graft file given (folders are searched recursively) as one workspace.
Prints path:line:col: error|warning <code>: message per diagnostic, or a JSON array with
--format json. Exit code 0 without errors, 1 with errors, 2 on usage or I/O problems.`;

export interface CheckFinding {
    file: string;
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    severity: 'error' | 'warning' | 'info' | 'hint';
    code: string;
    message: string;
}

function severityName(d: Diagnostic): CheckFinding['severity'] {
    switch (d.severity) {
        case DiagnosticSeverity.Warning: return 'warning';
        case DiagnosticSeverity.Information: return 'info';
        case DiagnosticSeverity.Hint: return 'hint';
        default: return 'error';
    }
}

/** Langium puts its own codes (lexing-error, parsing-error, linking-error) in `data.code`. */
function codeOf(d: Diagnostic): string {
    if (d.code !== undefined) return String(d.code);
    const data = d.data as { code?: unknown } | undefined;
    return typeof data?.code === 'string' ? data.code : 'graft';
}

/** Checks the files (already expanded) and returns the sorted findings. */
export async function checkFiles(files: string[], texts?: Map<string, string>): Promise<CheckFinding[]> {
    const { documents } = await loadWorkspace(files, { validate: true, texts });
    return findingsOf(documents);
}

/** The diagnostics of built documents as sorted findings. */
export function findingsOf(documents: readonly LangiumDocument[]): CheckFinding[] {
    const findings: CheckFinding[] = [];
    for (const doc of documents) {
        const file = displayPath(doc.uri.fsPath);
        for (const d of diagnosticsOf(doc)) {
            findings.push({
                file,
                line: d.range.start.line + 1,
                column: d.range.start.character + 1,
                endLine: d.range.end.line + 1,
                endColumn: d.range.end.character + 1,
                severity: severityName(d),
                code: codeOf(d),
                message: d.message
            });
        }
    }
    return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

export async function check(args: string[]): Promise<number> {
    let format = 'text' as 'text' | 'json'; // set inside the option callback
    const paths = pathArguments('check', HELP, args, (arg, next) => {
        if (arg !== '--format' && !arg.startsWith('--format=')) return 0;
        const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : next;
        if (value !== 'text' && value !== 'json') return `--format takes text or json, not ${value ?? 'nothing'}`;
        format = value;
        return arg.includes('=') ? 1 : 2;
    });
    if (typeof paths === 'number') return paths;
    let findings: CheckFinding[];
    let fileCount: number;
    try {
        const { files, texts } = readSpecFiles(paths);
        fileCount = files.length;
        findings = await checkFiles(files, texts);
    } catch (err) {
        if (err instanceof WorkspaceInputError) {
            console.error(`graft check: ${err.message}`);
            return 2;
        }
        throw err;
    }
    if (format === 'json') {
        console.log(JSON.stringify(findings, null, 2));
    } else {
        for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code}: ${f.message}`);
    }
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    console.error(`${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(fileCount, 'file')}`);
    return errors > 0 ? 1 : 0;
}
