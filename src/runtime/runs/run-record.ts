// The record of one run in its folder: which folder (new, or the one to resume), state.json for
// `--resume`, results.json kept current as the run goes (so a cancelled or failed run keeps what
// it did), the event stream (forwarded to a parent run when there is one), and the run's end.

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentPlan, SpecLoc } from '../../core/plan/types.js';
import { CancelledError } from '../train/trainer.js';
import { keyOf } from './dependencies.js';
import { reconcileWithCheckpoints } from './phase-run.js';
import { EventSink } from './event-sink.js';
import type { RunStartEvent } from './events.js';
import { diskError, guardWrite, readJson, writeFileAtomic, writeJsonAtomic } from './files.js';
import { RESULTS_SCHEMA_VERSION, type RunResults } from './results.js';
import { toPlanFile } from './plan-file.js';
import { currentOwner, shownStatus, startHeartbeat } from './liveness.js';
import { registerActiveRun } from './active-runs.js';
import { upgradeResults } from './contract-upgrade.js';
import { findResumable, newRunId } from './run-dir.js';
import type { ParentRun, RunContext, RunOptions, RunOutcome, RunState } from './run-types.js';

export type LogFn = (level: 'info' | 'warning' | 'error', message: string, at?: SpecLoc) => void;

/** Where an error from a spec construct came from, if it says. */
function locOfError(err: unknown): SpecLoc | undefined {
    const at = (err as { at?: SpecLoc }).at;
    return at && typeof at.file === 'string' ? at : undefined;
}

export class RunRecord {
    readonly started = Date.now();
    readonly runDir: string;
    readonly runId: string;
    readonly state: RunState;
    readonly results: RunResults;
    readonly sink: EventSink;
    /** Continues an earlier run that had trained something. */
    readonly resumed: boolean;
    readonly log: LogFn;
    /** Stops the heartbeat and takes the run off the active list (see finish()). */
    private readonly release: () => void;

    constructor(
        private readonly plan: ExperimentPlan,
        private readonly ctx: RunContext,
        opts: RunOptions,
        private readonly parent?: ParentRun
    ) {
        const experimentDir = join(ctx.runsRoot, plan.experiment);
        const resumeDir = opts.runDir
            ? opts.resume && existsSync(join(opts.runDir, 'state.json')) ? opts.runDir : undefined
            : opts.resume ? findResumable(ctx.runsRoot, plan.experiment) : undefined;
        this.runDir = resumeDir ?? opts.runDir ?? join(experimentDir, newRunId(experimentDir));
        const runDir = this.runDir;
        this.runId = runDir.split(/[\\/]/).pop()!;
        this.state = (resumeDir && readJson<RunState>(join(runDir, 'state.json'))) || { runId: this.runId };
        if (resumeDir) reconcileWithCheckpoints(runDir, this.state, plan.baselines);
        this.resumed = resumeDir !== undefined && (this.state.main !== undefined || this.state.mainDone === true);
        guardWrite(runDir, () => mkdirSync(runDir, { recursive: true }));

        this.sink = this.openSink(opts);
        this.log = (level, message, at) => {
            this.sink.emit({ type: 'log', level, message, ...(at ? { at } : {}) });
        };

        // A folder with a results.json (resuming): the run's record so far, upgraded if an older Graft wrote it.
        const earlier = existsSync(join(runDir, 'results.json')) ? upgradeResults(readJson(join(runDir, 'results.json'))) : undefined;
        this.results = (earlier?.ok ? earlier.results : undefined) ?? {
            schemaVersion: RESULTS_SCHEMA_VERSION,
            experiment: plan.experiment, runId: this.runId, status: 'running', backend: ctx.backend, seed: plan.seed, specFile: plan.at.file,
            started: new Date(this.started).toISOString(), classes: [], stages: [], metrics: {}, dependencies: [], cacheKey: keyOf(plan.experiment, ctx.plans), skipped: []
        };
        if (resumeDir && earlier?.ok && shownStatus(earlier.results) === 'interrupted') {
            this.log('info', `resuming ${this.runId}: it was interrupted (process ${earlier.results.owner!.pid} ended without recording an end)`);
        }
        this.results.status = 'running';
        this.results.owner = currentOwner();
        this.results.backend = ctx.backend;
        delete this.results.error;

        if (opts.resume && !resumeDir) this.log('info', `nothing to resume for ${plan.experiment} in ${experimentDir}; starting a new run`);
        if (!resumeDir) {
            copyFileSync(plan.at.file, join(runDir, 'spec.graft'));
            writeJsonAtomic(join(runDir, 'plan.json'), toPlanFile(plan));
        }
        this.saveResults();
        const stopBeat = startHeartbeat(this.results, () => this.saveResults());
        // A stop that cannot wait for the run to unwind writes its end at once (cli/cancel-signals.ts).
        const unregister = registerActiveRun((status) => {
            this.results.status = status;
            this.finish();
        });
        this.release = () => {
            stopBeat();
            unregister();
        };
    }

    private openSink(opts: RunOptions): EventSink {
        const { parent, plan } = this;
        const sink = new EventSink(this.runId, opts.events && !parent);
        sink.attach(join(this.runDir, 'events.ndjson'));
        for (const fn of opts.listeners ?? []) if (!parent) sink.listen(fn);
        // A dependency's progress shows in the parent's stream under phase `dependency:<name>`; a seed's
        // under its own phases, tagged with the seed.
        if (parent) {
            const seedTag = parent.seed !== undefined ? { seed: parent.seed } : {};
            sink.listen((e) => {
                if (e.type === 'stage-start' || e.type === 'epoch' || e.type === 'checkpoint') parent.sink.emit({ ...e, ...(parent.phase ? { phase: parent.phase } : {}), ...seedTag });
                else if (e.type === 'log') parent.sink.emit({ ...e, message: parent.phase ? `${plan.experiment}: ${e.message}` : `seed ${parent.seed}: ${e.message}` });
            });
        }
        return sink;
    }

    saveResults(): void {
        writeJsonAtomic(join(this.runDir, 'results.json'), this.results);
    }

    saveState(): void {
        writeJsonAtomic(join(this.runDir, 'state.json'), this.state);
    }

    /** The run-start event (a run inside another one has none: its parent announced it). */
    start(stages: RunStartEvent['stages']): void {
        if (this.parent) return;
        const { plan, ctx } = this;
        this.sink.emit({
            type: 'run-start', experiment: plan.experiment, runDir: this.runDir, specFile: plan.at.file, backend: ctx.backend, seed: plan.seed,
            classes: plan.data.classes ?? [], stages, ...(this.resumed ? { resumed: true } : {})
        });
    }

    /** The run stopped on `err`: cancelled, or failed with the error's message and spec location. */
    fail(err: unknown): void {
        // Whatever a wait threw once the run's signal was aborted (a download's "cancelled", an AbortError) is the cancellation.
        if (err instanceof CancelledError || this.ctx.signal?.aborted || this.ctx.cancelled()) {
            this.results.status = 'cancelled';
            return;
        }
        this.results.status = 'failed';
        const at = locOfError(err);
        this.results.error = { message: (err as Error).message ?? String(err), ...(at ? { at } : {}) };
        if (process.env.GRAFT_DEBUG) console.error((err as Error).stack);
    }

    /** Records the end (time, status, the run-end event) and returns the outcome. */
    finish(): RunOutcome {
        const { results, runDir } = this;
        this.release();
        const seconds = (Date.now() - this.started) / 1000;
        results.finished = new Date().toISOString();
        results.seconds = seconds;
        delete results.owner;
        try {
            this.saveResults();
        } catch (err) {
            // The end cannot be recorded (disk full, folder made read-only): the run did not complete as a record.
            if (results.status !== 'cancelled') results.status = 'failed';
            results.error ??= { message: (diskError(err, join(runDir, 'results.json')) ?? (err as Error)).message };
        }
        if (!this.parent) {
            this.sink.emit({
                type: 'run-end', status: results.status as 'completed' | 'failed' | 'cancelled', results: join(runDir, 'results.json'),
                ...(results.error ? { error: results.error } : {}), seconds
            });
        } else if (results.status === 'failed') {
            this.log('error', results.error?.message ?? 'failed', results.error?.at);
        }
        if (results.status === 'completed' && existsSync(join(runDir, 'state.json'))) {
            // A completed run has nothing to resume; keep the checkpoints, drop the resume marker.
            try {
                writeFileAtomic(join(runDir, 'state.json'), JSON.stringify({ ...this.state, completed: true }));
            } catch {
                // results.json says completed; a stale resume marker only offers a resume that finds nothing to do.
            }
        }
        return { status: results.status as RunOutcome['status'], runDir, results };
    }
}
