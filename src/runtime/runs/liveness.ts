// Whether a run that says `running` still runs. A run records its process (pid and host) in
// results.json while it runs, refreshes a heartbeat there every few seconds, and removes both when
// it ends; one killed by SIGKILL, an OOM kill or a power loss never writes its end, so its
// results.json keeps saying `running`. Readers (the panel, `graft compare`, `--resume`) ask here
// and show such a run as `interrupted`: its process is gone (same host), or its heartbeat is older
// than the stale limit (another host, whose processes cannot be checked, or a reused pid).
import { hostname } from 'node:os';
import type { RunStatus } from './events.js';

/** A run's status as a reader should show it. */
export type ShownStatus = RunStatus | 'interrupted';

export interface RunOwner {
    pid: number;
    host: string;
    /** When the run last showed it is alive (ISO time), refreshed every GRAFT_HEARTBEAT_MS (10 s). */
    heartbeat?: string;
}

function envMs(name: string, fallback: number): number {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** How often a running run refreshes its heartbeat. */
export function heartbeatMs(): number {
    return envMs('GRAFT_HEARTBEAT_MS', 10_000);
}

/**
 * A heartbeat older than this means the run is gone. Generous (2 min, at least 6 beats): a long
 * synchronous step (one big batch) delays beats, and a live run must not be shown as interrupted.
 */
export function staleAfterMs(): number {
    return Math.max(envMs('GRAFT_HEARTBEAT_STALE_MS', 120_000), 6 * heartbeatMs());
}

export function currentOwner(): RunOwner {
    return { pid: process.pid, host: hostname(), heartbeat: new Date().toISOString() };
}

/** Whether `owner` is a live process: its pid (same host) and its heartbeat's age. */
export function ownerAlive(owner: RunOwner, now = Date.now()): boolean {
    const beat = owner.heartbeat ? Date.parse(owner.heartbeat) : NaN;
    if (Number.isFinite(beat) && now - beat > staleAfterMs()) return false;
    // Another host's processes cannot be checked: the heartbeat (or, without one, an older Graft's record) decides.
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
export function shownStatus(results: { status: RunStatus; owner?: RunOwner }, now = Date.now()): ShownStatus {
    if (results.status !== 'running' || !results.owner) return results.status;
    return ownerAlive(results.owner, now) ? 'running' : 'interrupted';
}

/**
 * Refreshes `owner.heartbeat` and saves the record every heartbeatMs() while the run lasts.
 * Returns the function that stops it. A failing save (disk full) is skipped: the next beat retries.
 */
export function startHeartbeat(record: { owner?: RunOwner }, save: () => void): () => void {
    const timer = setInterval(() => {
        if (!record.owner) return;
        record.owner.heartbeat = new Date().toISOString();
        try {
            save();
        } catch {
            // The run's own writes report a disk problem; a heartbeat only misses a beat.
        }
    }, heartbeatMs());
    timer.unref();
    return () => clearInterval(timer);
}
