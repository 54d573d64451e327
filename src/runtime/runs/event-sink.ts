// Delivers run events: appended to the run folder's events.ndjson (one JSON object per line),
// printed on stdout with `--events`, and passed to listeners (the progress bar). Events emitted
// before the run folder exists are buffered and flushed into it once it does.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVENTS_SCHEMA_VERSION, type RunEvent } from './events.js';

/** Distributes an event without its `schemaVersion`/`time`/`runId`, which the sink fills in. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'schemaVersion' | 'time' | 'runId'> : never) : never;

export class EventSink {
    private file: string | undefined;
    private pending: string[] = [];
    private readonly listeners: ((e: RunEvent) => void)[] = [];

    constructor(
        public runId: string,
        private readonly stdout: boolean
    ) {}

    /** Starts writing to `path` (events.ndjson); earlier events are written first. */
    attach(path: string): void {
        mkdirSync(dirname(path), { recursive: true });
        this.file = path;
        if (this.pending.length) appendFileSync(path, this.pending.join(''));
        this.pending = [];
    }

    listen(fn: (e: RunEvent) => void): void {
        this.listeners.push(fn);
    }

    emit(input: EventInput): RunEvent {
        // Forwarded events (a dependency's) carry their own version/time/runId: this sink's replace them.
        const { type, ...rest } = input as EventInput & { schemaVersion?: number; time?: string; runId?: string };
        delete rest.schemaVersion;
        delete rest.time;
        delete rest.runId;
        const event = { type, schemaVersion: EVENTS_SCHEMA_VERSION, time: new Date().toISOString(), runId: this.runId, ...rest } as RunEvent;
        const line = `${JSON.stringify(event)}\n`;
        if (this.file) {
            try {
                appendFileSync(this.file, line);
            } catch {
                // A full or read-only disk: the run's own writes report it (files.ts DiskError);
                // the event still reaches stdout and the listeners.
            }
        } else this.pending.push(line);
        if (this.stdout) process.stdout.write(line);
        for (const fn of this.listeners) fn(event);
        return event;
    }
}
