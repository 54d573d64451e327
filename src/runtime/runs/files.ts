// Atomic file writes: a reader (the editor panel, a resumed run) never sees half a file, because
// every file is written to a temporary name in the same folder and then renamed over the target.

import { mkdirSync, renameSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
    writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T>(path: string): T | undefined {
    if (!existsSync(path)) return undefined;
    try {
        return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
        return undefined;
    }
}

/**
 * Replaces a folder as a whole: writes into `<dir>.tmp-…`, then swaps it in with renames, so a
 * folder (a checkpoint, an exported model) is either the old or the new complete version.
 */
export function replaceDirAtomic(dir: string, fill: (tmp: string) => void): void {
    const tmp = `${dir}.tmp-${process.pid}-${counter++}`;
    const old = `${dir}.old-${process.pid}-${counter++}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    fill(tmp);
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
}
