// Reads run folders (`<runs>/<experiment>/<run-id>/`) back: the history list of an experiment and
// a full snapshot of one run, rebuilt from its events.ndjson and results.json. A damaged or
// half-written folder yields what can be read, never an exception.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyEvent, emptySnapshot, isRunEvent, type HistoryEntry, type RunSnapshot } from './run-state.js';

export type { HistoryEntry } from './run-state.js';
import { readResultsFile, readSweepFile, type ResultsView } from './results-view.js';
import { engineLabel, isLocalEngine } from '../../runtime/runs/engine.js';
import { shownStatus } from '../../runtime/runs/liveness.js';


function readJson(file: string): unknown {
    try {
        return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
        return undefined;
    }
}

/** Reads results.json of a run folder with its plan.json (undefined while results.json does not exist or is half-written). */
export function readRunResults(runDir: string, resultsFile = join(runDir, 'results.json')): ResultsView | undefined {
    if (!existsSync(resultsFile)) return undefined;
    const raw = readJson(resultsFile);
    if (raw === undefined) return undefined;
    const view = readResultsFile(raw, runDir, readJson(join(runDir, 'plan.json')));
    // `running` with its process gone: killed without writing its end (here, not in results-view.ts,
    // which the panel's browser bundle also loads).
    if (view.status === 'running') view.status = shownStatus(raw as Parameters<typeof shownStatus>[0]);
    return view;
}

/** The runtime writes a sweep's table to <runs>/<sweep>/<sweep-run-id>/sweep.json (+ .csv, .md). */
export const SWEEP_FILE = 'sweep.json';

export function isSweepDir(dir: string): boolean {
    return existsSync(join(dir, SWEEP_FILE));
}

/**
 * The newest sweep folder of `sweep` under the runs root (folder names are sortable run ids;
 * modification time breaks ties), optionally only those written at or after `sinceMs`.
 */
export function latestSweepDir(runsRoot: string, sweep: string, sinceMs?: number): string | undefined {
    const parent = join(runsRoot, sweep);
    let best: { dir: string; name: string; mtime: number } | undefined;
    let names: string[];
    try {
        names = readdirSync(parent);
    } catch {
        return undefined;
    }
    for (const name of names) {
        const dir = join(parent, name);
        try {
            const mtime = statSync(join(dir, SWEEP_FILE)).mtimeMs;
            if (sinceMs !== undefined && mtime < sinceMs) continue;
            if (!best || name > best.name || (name === best.name && mtime > best.mtime)) best = { dir, name, mtime };
        } catch {
            // no sweep.json: not a sweep folder
        }
    }
    return best?.dir;
}

/** Reads a sweep folder's sweep.json into the panel's view (undefined when unreadable). */
export function readSweepResults(sweepDir: string): ResultsView | undefined {
    const raw = readJson(join(sweepDir, SWEEP_FILE));
    if (raw === undefined) return undefined;
    const view = readSweepFile(raw);
    return view.sweep ? view : undefined;
}

/** A snapshot of a sweep folder: its table as the results; named after the sweep. */
export function loadSweep(sweepDir: string): RunSnapshot {
    const snap = emptySnapshot(basename(sweepDir), basename(join(sweepDir, '..')));
    snap.runDir = sweepDir;
    snap.sweep = snap.experiment;
    const results = readSweepResults(sweepDir);
    const raw = readJson(join(sweepDir, SWEEP_FILE)) as { status?: unknown; seconds?: unknown } | undefined;
    if (results) {
        snap.results = results;
        snap.resultsPath = join(sweepDir, SWEEP_FILE);
        if (results.sweep?.sweep) snap.sweep = snap.experiment = results.sweep.sweep;
    }
    // sweep.json does not name the spec; every trial's results.json does ("Run again" needs it).
    for (const t of results?.sweep?.trials ?? []) {
        const spec = t.runDir ? (readJson(join(t.runDir, 'results.json')) as { specFile?: unknown } | undefined)?.specFile : undefined;
        if (typeof spec === 'string') {
            snap.specFile = spec;
            break;
        }
    }
    const st = raw?.status;
    // A sweep.json still saying `running` with no live process behind it was interrupted.
    snap.status = st === 'completed' || st === 'cancelled' ? st : results ? 'cancelled' : 'failed';
    if (typeof raw?.seconds === 'number') snap.seconds = raw.seconds;
    try {
        snap.startedAt = new Date(statSync(sweepDir).birthtimeMs || statSync(sweepDir).mtimeMs).toISOString();
    } catch {
        // folder vanished meanwhile
    }
    return snap;
}

/** Rebuilds a run's snapshot from its folder. */
export function loadRun(runDir: string): RunSnapshot {
    if (isSweepDir(runDir) && !existsSync(join(runDir, 'results.json'))) return loadSweep(runDir);
    const snap = emptySnapshot(basename(runDir), basename(join(runDir, '..')));
    snap.runDir = runDir;
    const eventsFile = join(runDir, 'events.ndjson');
    if (existsSync(eventsFile)) {
        for (const line of readFileSync(eventsFile, 'utf8').split('\n')) {
            if (!line.trim()) continue;
            try {
                const v: unknown = JSON.parse(line);
                if (isRunEvent(v)) applyEvent(snap, v);
            } catch {
                // a torn last line of a killed run
            }
        }
    }
    snap.runDir = runDir;
    const resultsFile = snap.resultsPath && existsSync(snap.resultsPath) ? snap.resultsPath : join(runDir, 'results.json');
    const results = readRunResults(runDir, resultsFile);
    if (results) {
        snap.results = results;
        snap.resultsPath = resultsFile;
        const st = snap.results.status;
        // results.json is written last, so it has the final word on the status.
        if (st === 'completed' || st === 'failed' || st === 'cancelled' || st === 'interrupted') snap.status = st;
        else if (st === 'running' && snap.status === 'queued') snap.status = 'running';
        if (!snap.backend && snap.results.backend) snap.backend = snap.results.backend;
        if (snap.results.experiment) snap.experiment = snap.results.experiment;
    }
    if (snap.status === 'queued') snap.status = 'failed';
    return snap;
}

export function summarize(snap: RunSnapshot): HistoryEntry {
    const test = snap.results?.metrics.test ?? Object.values(snap.results?.metrics ?? {})[0];
    let headline: HistoryEntry['headline'];
    if (test) {
        // accuracy, else the first rate a multi-label or multi-task run records (map, tags_accuracy), never the loss first
        const names = Object.keys(test);
        const name = test.accuracy !== undefined ? 'accuracy' : (names.find((k) => !/loss/.test(k)) ?? names[0]);
        if (name) headline = { name, value: test[name]! };
    }
    if (!headline && snap.results?.episodes) headline = { name: 'episode accuracy', value: snap.results.episodes.accuracy };
    const best = snap.results?.sweep?.trials.find((t) => t.best);
    const engine = snap.results?.engine ?? { name: 'graft' };
    if (!headline && best?.value !== undefined) headline = { name: `best ${snap.results!.sweep!.objective?.monitor ?? 'objective'} (${best.name ?? 'trial'})`, value: best.value };
    return {
        runId: snap.runId,
        runDir: snap.runDir ?? '',
        experiment: snap.experiment,
        status: snap.status,
        startedAt: snap.startedAt,
        seconds: snap.seconds ?? snap.results?.seconds,
        backend: snap.backend,
        engine: engineLabel(engine),
        local: isLocalEngine(engine),
        headline,
        transferGain: snap.results?.transferGain?.value
    };
}

/** Run folders of one experiment, newest first. */
export function listRuns(runsRoot: string, experiment: string): HistoryEntry[] {
    const dir = join(runsRoot, experiment);
    let names: string[];
    try {
        names = readdirSync(dir);
    } catch {
        return [];
    }
    const out: { entry: HistoryEntry; mtime: number }[] = [];
    for (const name of names) {
        const runDir = join(dir, name);
        try {
            if (!statSync(runDir).isDirectory()) continue;
            if (!existsSync(join(runDir, 'events.ndjson')) && !existsSync(join(runDir, 'results.json')) && !isSweepDir(runDir)) continue;
            const snap = loadRun(runDir);
            out.push({ entry: summarize(snap), mtime: Date.parse(snap.startedAt ?? '') || statSync(runDir).mtimeMs });
        } catch {
            // unreadable folder: skip
        }
    }
    return out.sort((a, b) => b.mtime - a.mtime).map((x) => x.entry);
}

/** Every experiment that has run folders. */
export function listExperiments(runsRoot: string): string[] {
    try {
        return readdirSync(runsRoot).filter((n) => {
            try {
                return statSync(join(runsRoot, n)).isDirectory();
            } catch {
                return false;
            }
        });
    } catch {
        return [];
    }
}
