// Atomic file writes: a reader (the editor panel, a resumed run) never sees half a file, because
// every file is written to a temporary name in the same folder and then renamed over the target.
// A write the disk refuses (full, read-only, no permission) leaves the previous version in place,
// removes its temporary file and throws a DiskError that names the path and what to do.

import { mkdirSync, renameSync, writeFileSync, readFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pidAlive } from '../scratch.js';

let counter = 0;

/** A write the file system refused; the message names the path, the reason and the remedy. */
export class DiskError extends Error {
    constructor(
        message: string,
        readonly path: string,
        readonly code: string
    ) {
        super(message);
    }
}

const DISK_CODES: Record<string, string> = {
    ENOSPC: 'the disk is full (ENOSPC). Free some space on it, or write the runs elsewhere with --runs-dir DIR',
    EDQUOT: 'the disk quota is used up (EDQUOT). Free some space, or write the runs elsewhere with --runs-dir DIR',
    EROFS: 'the file system is read-only (EROFS). Write the runs to a writable folder with --runs-dir DIR',
    EACCES: 'permission denied (EACCES). Make the folder writable (chmod u+w / chown), or write the runs elsewhere with --runs-dir DIR',
    EPERM: 'the operation is not permitted (EPERM). Make the folder writable, or write the runs elsewhere with --runs-dir DIR'
};

/** The DiskError for a refused write of `path`, or undefined when `err` is not about the disk. */
export function diskError(err: unknown, path: string): DiskError | undefined {
    if (err instanceof DiskError) return err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const what = code ? DISK_CODES[code] : undefined;
    if (!what || !code) return undefined;
    // The path the system names is the one that failed (often the folder); else the file we wrote.
    const at = (err as NodeJS.ErrnoException).path ?? path;
    return new DiskError(`cannot write ${at}: ${what}. The files already written (the last checkpoint) are kept.`, at, code);
}

/** Runs a write; a refusal by the disk becomes a DiskError naming `path`, other errors pass. */
export function guardWrite<T>(path: string, write: () => T): T {
    try {
        return write();
    } catch (err) {
        throw diskError(err, path) ?? err;
    }
}

/** Writes `data` to `tmp`, then renames it over `path`; a failed write removes `tmp` (the old `path` stays). */
export function replaceFile(path: string, tmp: string, data: string | Uint8Array): void {
    try {
        writeFileSync(tmp, data);
        renameSync(tmp, path);
    } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
    }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
    guardWrite(path, () => {
        mkdirSync(dirname(path), { recursive: true });
        replaceFile(path, tmp, data);
    });
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
 * folder (a checkpoint, an exported model) is either the old or the new complete version. A fill
 * that fails (disk full) removes its temporary folder and leaves the old version untouched.
 */
export function replaceDirAtomic(dir: string, fill: (tmp: string) => void): void {
    const tmp = `${dir}.tmp-${process.pid}-${counter++}`;
    const old = `${dir}.old-${process.pid}-${counter++}`;
    guardWrite(dir, () => {
        try {
            rmSync(tmp, { recursive: true, force: true });
            mkdirSync(tmp, { recursive: true });
            fill(tmp);
        } catch (err) {
            rmSync(tmp, { recursive: true, force: true });
            throw err;
        }
        if (existsSync(dir)) renameSync(dir, old);
        try {
            renameSync(tmp, dir);
        } catch (err) {
            if (existsSync(old)) renameSync(old, dir);
            rmSync(tmp, { recursive: true, force: true });
            throw err;
        }
        rmSync(old, { recursive: true, force: true });
    });
}

/**
 * A process killed between the two renames of replaceDirAtomic leaves no `dir`, but the complete
 * new version (`<dir>.tmp-…`: the swap starts only once it is filled) or the old one
 * (`<dir>.old-…`). Puts the newest complete one back as `dir`; true when `dir` is (now) there.
 */
export function recoverReplacedDir(dir: string): boolean {
    const parent = dirname(dir);
    if (!existsSync(parent)) return false;
    const name = basename(dir);
    if (!existsSync(dir) && !putBack(parent, name, dir)) return false;
    // What killed processes left around it (a partial fill, an old version) goes.
    for (const f of readdirSync(parent)) {
        if (!f.startsWith(`${name}.tmp-`) && !f.startsWith(`${name}.old-`)) continue;
        const pid = Number(f.slice(name.length + 5).split('-')[0]);
        if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) rmSync(join(parent, f), { recursive: true, force: true });
    }
    return true;
}

function putBack(parent: string, name: string, dir: string): boolean {
    // `<name>.tmp-<pid>-<n>` / `<name>.old-<pid>-<n>`.
    const parts = (f: string): { pid: string; n: number } => {
        const [pid, n] = f.slice(name.length + 5).split('-');
        return { pid, n: Number(n) };
    };
    const leftovers = readdirSync(parent).filter((f) => f.startsWith(`${name}.tmp-`) || f.startsWith(`${name}.old-`));
    const olds = leftovers.filter((f) => f.startsWith(`${name}.old-`)).sort((a, b) => parts(b).n - parts(a).n);
    const old = olds[0];
    // Between the renames there is exactly one swap under way: its tmp (filled: the swap starts
    // after the fill) was numbered just before its old.
    const tmp = old ? leftovers.find((f) => f.startsWith(`${name}.tmp-`) && parts(f).pid === parts(old).pid && parts(f).n + 1 === parts(old).n) : undefined;
    const pick = tmp ?? old;
    if (!pick) return false;
    renameSync(join(parent, pick), dir);
    return true;
}
