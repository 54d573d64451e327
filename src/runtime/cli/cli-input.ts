// Reading the .graft files a command was given, with one clear message per problem instead of a
// stack trace: missing paths, folders without specs, unreadable and binary files.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { collectGraftFiles, WorkspaceInputError } from '../../language/workspace/load-workspace.js';

export interface SpecFiles {
    files: string[];
    texts: Map<string, string>;
}

/** Path as shown to the user: relative to the working directory (as compilers print them). */
export function displayPath(file: string): string {
    const rel = relative(process.cwd(), file);
    return rel && !isAbsolute(rel) ? rel : file;
}

/** Expands the arguments and reads every file; throws WorkspaceInputError with a readable message. */
export function readSpecFiles(paths: string[]): SpecFiles {
    const files = collectGraftFiles(paths);
    if (files.length === 0) {
        throw new WorkspaceInputError(`no .graft files found in ${paths.join(', ')}`);
    }
    const texts = new Map<string, string>();
    for (const file of files) {
        let bytes: Buffer;
        try {
            bytes = readFileSync(file);
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            const why = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder' : (err as Error).message;
            throw new WorkspaceInputError(`${displayPath(file)}: cannot read (${why})`);
        }
        if (bytes.includes(0)) {
            throw new WorkspaceInputError(`${displayPath(file)}: binary file, not a .graft spec`);
        }
        texts.set(file, bytes.toString('utf8').replace(/^\uFEFF/, ''));
    }
    return { files, texts };
}
