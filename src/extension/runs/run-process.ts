// One `graft run --events` child process. Training never happens in the extension host: the child
// prints run events on stdout, which are parsed here; stderr is kept as log text. Stop sends
// SIGTERM to the child's process group and, if it is still alive after a grace period, SIGKILL, so
// that a stop always ends the run within 2 s. When the runtime could not record the cancellation
// itself (killed), the run folder is marked `cancelled` here.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS_SCHEMA_VERSION, type RunEvent } from '../../runtime/runs/events.js';
import { NdjsonSplitter } from './ndjson.js';
import { isRunEvent } from './run-state.js';

export interface RunCommand {
    /** Executable that runs JavaScript (node, or VS Code's own binary with ELECTRON_RUN_AS_NODE). */
    node: string;
    /** Path of bin/graft.js. */
    cli: string;
    specFile: string;
    /** Experiment or sweep name. */
    target: string;
    cwd: string;
    backend?: string;
    /** Where run folders go (`--runs-dir`); the CLI's default is `runs/` next to the spec. */
    runsDir?: string;
    env?: NodeJS.ProcessEnv;
}

export interface RunProcessHandlers {
    onEvent(e: RunEvent): void;
    /** Non-event output (stderr, stray stdout lines). */
    onText(text: string, stream: 'stdout' | 'stderr'): void;
    /** Called once. `ended` is the run-end event if the runtime sent one. */
    onExit(info: { code: number | null; signal: NodeJS.Signals | null; stopped: boolean; killed: boolean; ended?: RunEvent; stderrTail: string }): void;
}

export function runArgs(c: RunCommand): string[] {
    const args = [c.cli, 'run', c.specFile, '--experiment', c.target, '--events'];
    if (c.backend && c.backend !== 'auto') args.push('--backend', c.backend);
    if (c.runsDir) args.push('--runs-dir', c.runsDir);
    return args;
}

export class RunProcess {
    private child?: ChildProcess;
    private stopping = false;
    private killed = false;
    private killTimer?: NodeJS.Timeout;
    private runDir?: string;
    private runId?: string;
    private ended?: RunEvent;
    private stderrTail = '';
    private exited = false;

    constructor(
        private readonly cmd: RunCommand,
        private readonly h: RunProcessHandlers,
        /** Time between SIGTERM and SIGKILL. */
        private readonly graceMs = 1500
    ) {}

    get pid(): number | undefined {
        return this.child?.pid;
    }

    start(): void {
        const child = spawn(this.cmd.node, runArgs(this.cmd), {
            cwd: this.cmd.cwd,
            env: { ...process.env, ...this.cmd.env },
            stdio: ['ignore', 'pipe', 'pipe'],
            // Own process group: stop reaches any helper processes the runtime starts.
            detached: process.platform !== 'win32'
        });
        this.child = child;
        const out = new NdjsonSplitter(
            (v) => {
                if (!isRunEvent(v)) return this.h.onText(JSON.stringify(v), 'stdout');
                if (v.type === 'run-start') {
                    this.runDir = v.runDir;
                    this.runId = v.runId;
                    // A sweep starts a run per trial: an earlier trial's run-end does not end this one.
                    this.ended = undefined;
                }
                if (v.type === 'run-end') this.ended = v;
                this.h.onEvent(v);
            },
            (line) => this.h.onText(line, 'stdout')
        );
        child.stdout!.setEncoding('utf8').on('data', (d: string) => out.push(d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
            this.stderrTail = (this.stderrTail + d).slice(-4000);
            this.h.onText(d, 'stderr');
        });
        child.on('error', (err) => {
            this.stderrTail += `\n${err.message}`;
            this.finish(null, null);
        });
        child.on('close', (code, signal) => {
            out.end();
            this.finish(code, signal);
        });
    }

    /** Ends the run: SIGTERM now, SIGKILL after the grace period. Resolves when the process is gone. */
    stop(): void {
        if (!this.child || this.exited || this.stopping) return;
        this.stopping = true;
        this.signal('SIGTERM');
        this.killTimer = setTimeout(() => {
            if (this.exited) return;
            this.killed = true;
            this.signal('SIGKILL');
        }, this.graceMs);
    }

    private signal(sig: NodeJS.Signals): void {
        const pid = this.child?.pid;
        if (!pid) return;
        try {
            if (process.platform !== 'win32') process.kill(-pid, sig);
            else this.child!.kill(sig);
        } catch {
            try {
                this.child!.kill(sig);
            } catch {
                // already gone
            }
        }
    }

    private finish(code: number | null, signal: NodeJS.Signals | null): void {
        if (this.exited) return;
        this.exited = true;
        clearTimeout(this.killTimer);
        if (this.stopping && (!this.ended || this.ended.type !== 'run-end')) {
            this.ended = markCancelled(this.runDir, this.runId ?? '');
            this.h.onEvent(this.ended);
        }
        this.h.onExit({ code, signal, stopped: this.stopping, killed: this.killed, ended: this.ended, stderrTail: this.stderrTail });
    }
}

/** Records a cancellation the runtime had no chance to write (it was killed). */
export function markCancelled(runDir: string | undefined, runId: string): RunEvent {
    const ev: RunEvent = { type: 'run-end', schemaVersion: EVENTS_SCHEMA_VERSION, status: 'cancelled', time: new Date().toISOString(), runId, seconds: 0 };
    if (!runDir || !existsSync(runDir)) return ev;
    try {
        appendFileSync(join(runDir, 'events.ndjson'), JSON.stringify(ev) + '\n');
        const results = join(runDir, 'results.json');
        let data: Record<string, unknown> = {};
        if (existsSync(results)) data = JSON.parse(readFileSync(results, 'utf8')) as Record<string, unknown>;
        if (data.status === undefined || data.status === 'running') {
            data.status = 'cancelled';
            const tmp = `${results}.tmp-${process.pid}`;
            writeFileSync(tmp, JSON.stringify(data, null, 2));
            renameSync(tmp, results);
        }
    } catch {
        // The folder is best effort; the event still tells the editor.
    }
    return ev;
}
