// Reading the .graft files a command was given, with one clear message per problem instead of a
// stack trace: missing paths, folders without specs, unreadable and binary files.
import { readFileSync } from 'node:fs';
import { displayPath } from '../core/display-path.js';
import { collectGraftFiles, WorkspaceInputError } from '../language/workspace/load-workspace.js';

export interface SpecFiles {
    files: string[];
    texts: Map<string, string>;
}

export { displayPath };

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

/**
 * Splits the arguments of a command that takes files or folders (`check`, `fmt`). `option` handles
 * the command's own flags: it returns how many arguments it consumed (1 or 2), 0 when the flag is not
 * its own, or a string describing a bad value. Prints usage problems and returns an exit code
 * (0 after --help, 2 on a usage error) instead of the paths.
 */
export function pathArguments(command: string, help: string, args: string[], option: (arg: string, next: string | undefined) => number | string): string[] | number {
    const paths: string[] = [];
    const usage = (problem: string): number => {
        console.error(`graft ${command}: ${problem}\n\n${help}`);
        return 2;
    };
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (arg === '--help' || arg === '-h') {
            console.log(help);
            return 0;
        }
        if (arg === '--') {
            paths.push(...args.slice(i + 1));
            break;
        }
        if (!arg.startsWith('-') || arg === '-') {
            paths.push(arg);
            continue;
        }
        const taken = option(arg, args[i + 1]);
        if (typeof taken === 'string') return usage(taken);
        if (taken === 0) return usage(`unknown option ${arg}`);
        i += taken - 1;
    }
    return paths.length ? paths : usage('give at least one file or folder');
}
