// `graft fmt [--check] <files or folders>`: brings .graft files into the canonical layout.
// With --check nothing is written; the files that would change are listed and the exit code is 1.
// A file with syntax errors is never rewritten (its tree may be partial): it is reported and
// left untouched. Exit codes: 0 ok, 1 files would change (--check) or could not be formatted,
// 2 usage or I/O problems.
import { chmodSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { EmptyFileSystem, URI } from 'langium';
import { createGraftServices } from '../language/graft-module.js';
import type { Model } from '../language/generated/ast.js';
import { canonicalLayout } from '../language/lsp/canonical-layout.js';
import { WorkspaceInputError } from '../language/workspace/load-workspace.js';
import { displayPath, pathArguments, readSpecFiles } from './cli-input.js';

const HELP = `usage: graft fmt [--check] <files or folders>...

Formats .graft files in place in the canonical layout (2-space indent, one statement per line).
--check   write nothing; list the files that would change and exit 1 if there are any.
Files with syntax errors are reported and left unchanged.`;

export type FormatOutcome =
    | { status: 'unchanged' | 'changed'; text: string }
    | { status: 'syntax-error'; reason: string };

/** Formats one file's text; parses only (formatting needs no cross-references). */
export function formatGraftText(text: string, file = '/untitled.graft'): FormatOutcome {
    const services = sharedServices();
    const doc = services.shared.workspace.LangiumDocumentFactory.fromString<Model>(text, URI.file(file));
    const result = canonicalLayout(doc);
    if (!result.ok) return { status: 'syntax-error', reason: result.reason };
    return { status: result.text === text ? 'unchanged' : 'changed', text: result.text };
}

let services: ReturnType<typeof createGraftServices>['Graft'] | undefined;
function sharedServices(): ReturnType<typeof createGraftServices>['Graft'] {
    services ??= createGraftServices(EmptyFileSystem).Graft;
    return services;
}

/** Replaces the file through a temporary sibling, so an interrupted write never leaves half a file. */
function writeAtomically(file: string, text: string): void {
    const tmp = `${file}.graft-fmt-${process.pid}.tmp`;
    try {
        writeFileSync(tmp, text, 'utf8');
        chmodSync(tmp, statSync(file).mode);
        renameSync(tmp, file);
    } catch (err) {
        try { unlinkSync(tmp); } catch { /* nothing was written */ }
        throw new WorkspaceInputError(`${displayPath(file)}: cannot write (${(err as Error).message})`);
    }
}

export async function fmt(args: string[]): Promise<number> {
    let checkOnly = false;
    const paths = pathArguments('fmt', HELP, args, (arg) => {
        if (arg !== '--check') return 0;
        checkOnly = true;
        return 1;
    });
    if (typeof paths === 'number') return paths;
    try {
        const { files, texts } = readSpecFiles(paths);
        let changed = 0;
        let refused = 0;
        for (const file of files) {
            const outcome = formatGraftText(texts.get(file)!, file);
            if (outcome.status === 'syntax-error') {
                refused++;
                console.error(`${displayPath(file)}: not formatted, syntax error at ${outcome.reason}`);
            } else if (outcome.status === 'changed') {
                changed++;
                if (checkOnly) {
                    console.log(displayPath(file));
                } else {
                    writeAtomically(file, outcome.text);
                    console.log(`formatted ${displayPath(file)}`);
                }
            }
        }
        const verb = checkOnly ? 'would change' : 'changed';
        console.error(`${changed} of ${files.length} file${files.length === 1 ? '' : 's'} ${verb}${refused ? `, ${refused} not formatted (syntax errors)` : ''}`);
        return refused > 0 || (checkOnly && changed > 0) ? 1 : 0;
    } catch (err) {
        if (err instanceof WorkspaceInputError) {
            console.error(`graft fmt: ${err.message}`);
            return 2;
        }
        throw err;
    }
}
