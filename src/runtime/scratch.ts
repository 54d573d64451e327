// Scratch folders of a run (the decoded-image disk cache) and partial downloads: removed when the
// process ends in any way it can still act on (normal end, error, Ctrl-C, process.exit), and swept
// by the next run when the process that made them is gone (SIGKILL, OOM, power loss). Each folder
// names its owner in a small file, so only Graft's own folders of dead processes are removed.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every scratch folder is `graft-<kind>-XXXXXX` with this file inside. */
export const OWNER_FILE = 'graft-owner.json';

interface ScratchOwner {
    pid: number;
    host: string;
    started: string;
}

const live = new Set<string>();
let hooked = false;

function removeAllNow(): void {
    for (const dir of live) rmSync(dir, { recursive: true, force: true });
    live.clear();
}

/** A fresh scratch folder under `parent` (default os.tmpdir()), removed at process exit at the latest. */
export function makeScratchDir(kind: string, parent = tmpdir()): string {
    const dir = mkdtempSync(join(parent, `graft-${kind}-`));
    const owner: ScratchOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
    live.add(dir);
    if (!hooked) {
        hooked = true;
        process.once('exit', removeAllNow);
    }
    return dir;
}

/** Removes a scratch folder now (its owner is done with it). */
export function removeScratchDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
}

/** Whether process `pid` of this host still exists. */
export function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
}

/**
 * Removes the scratch folders under `parent` whose owner (named in their owner file) was a process
 * of this host that is gone. Folders without an owner file, of another host or of a live process
 * are left alone. Returns the folders removed.
 */
export function sweepStaleScratch(parent = tmpdir()): string[] {
    let names: string[];
    try {
        names = readdirSync(parent).filter((n) => n.startsWith('graft-'));
    } catch {
        return [];
    }
    const removed: string[] = [];
    for (const name of names) {
        const dir = join(parent, name);
        let owner: ScratchOwner;
        try {
            owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as ScratchOwner;
        } catch {
            continue; // not a folder, or not one of ours
        }
        if (typeof owner.pid !== 'number' || owner.host !== hostname() || owner.pid === process.pid || pidAlive(owner.pid)) continue;
        try {
            rmSync(dir, { recursive: true, force: true });
            removed.push(dir);
        } catch {
            // Another user's folder, or in use: leave it.
        }
    }
    return removed;
}
