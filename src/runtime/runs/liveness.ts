// Whether a run that says `running` still runs. A run records its process (pid and host) in
// results.json while it runs and removes it when it ends; one killed by SIGKILL, an OOM kill or
// a power loss never writes its end, so its results.json keeps saying `running`. Readers (the
// panel, `graft compare`, `--resume`) ask here and show such a run as `interrupted`.
import { hostname } from 'node:os';
import type { RunStatus } from './events.js';

/** A run's status as a reader should show it. */
export type ShownStatus = RunStatus | 'interrupted';

export interface RunOwner {
    pid: number;
    host: string;
}

export function currentOwner(): RunOwner {
    return { pid: process.pid, host: hostname() };
}

/** Whether `owner` is a live process. A process on another host cannot be checked: assumed alive. */
export function ownerAlive(owner: RunOwner): boolean {
    if (owner.host !== hostname()) return true;
    try {
        process.kill(owner.pid, 0);
        return true;
    } catch (err) {
        // EPERM: the process exists but belongs to someone else.
        return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
}

/** `interrupted` for a `running` record whose process is gone (or that names none: written by a killed older Graft is indistinguishable, so only records with an owner are judged). */
export function shownStatus(results: { status: RunStatus; owner?: RunOwner }): ShownStatus {
    if (results.status !== 'running' || !results.owner) return results.status;
    return ownerAlive(results.owner) ? 'running' : 'interrupted';
}
