// Reads run folders (`<runs>/<experiment>/<run-id>/`) back: the history list of an experiment and
// a full snapshot of one run, rebuilt from its events.ndjson and results.json. A damaged or
// half-written folder yields what can be read, never an exception.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyEvent, emptySnapshot, isRunEvent, type HistoryEntry, type RunSnapshot } from './run-state.js';

export type { HistoryEntry } from './run-state.js';
import { readResults, type ResultsView } from './results-view.js';


function readJson(file: string): unknown {
    try {
        return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
        return undefined;
    }
}

/** Names of the output heads from the run's plan.json (for multi-task runs), if readable. */
function headNames(runDir: string): string[] | undefined {
    const plan = readJson(join(runDir, 'plan.json')) as { head?: { kind?: string; heads?: { name?: unknown }[] } } | undefined;
    const heads = plan?.head?.kind === 'output' ? plan.head.heads : undefined;
    return heads?.map((h) => String(h.name));
}

/** Reads results.json of a run folder (undefined while it does not exist). */
export function readRunResults(runDir: string, resultsFile = join(runDir, 'results.json'), classes?: string[]): ResultsView | undefined {
    if (!existsSync(resultsFile)) return undefined;
    const raw = readJson(resultsFile);
    if (raw === undefined) return undefined;
    return readResults(raw, runDir, classes, headNames(runDir));
}

/** Rebuilds a run's snapshot from its folder. */
export function loadRun(runDir: string): RunSnapshot {
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
    const results = readRunResults(runDir, resultsFile, snap.classes);
    if (results) {
        snap.results = results;
        snap.resultsPath = resultsFile;
        const st = snap.results.status;
        // results.json is written last, so it has the final word on the status.
        if (st === 'completed' || st === 'failed' || st === 'cancelled') snap.status = st;
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
        const name = test.accuracy !== undefined ? 'accuracy' : Object.keys(test)[0];
        if (name) headline = { name, value: test[name]! };
    }
    if (!headline && snap.results?.episodes) headline = { name: 'episode accuracy', value: snap.results.episodes.accuracy };
    return {
        runId: snap.runId,
        runDir: snap.runDir ?? '',
        experiment: snap.experiment,
        status: snap.status,
        startedAt: snap.startedAt,
        seconds: snap.seconds ?? snap.results?.seconds,
        backend: snap.backend,
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
            if (!existsSync(join(runDir, 'events.ndjson')) && !existsSync(join(runDir, 'results.json'))) continue;
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
