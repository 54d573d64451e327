// Folds run events (src/runtime/runs/events.ts) into one snapshot: what the status bar and the
// results panel show. The same fold serves a live child process and an events.ndjson read back
// from a run folder, so a finished run looks the same whichever way it was opened.
import { upgradeEvent } from '../../runtime/runs/contract-upgrade.js';
import type { Phase, RunEvent, RunStatus } from '../../runtime/runs/events.js';
import type { SpecLoc } from '../../core/plan/types.js';
import type { ResultsView } from './results-view.js';

export interface EpochPoint {
    /** Epoch number counted across all stages of the phase (1-based): the x axis of the curves. */
    x: number;
    stage: string;
    epoch: number;
    /** As the epoch event has them: null where a metric was NaN. */
    metrics: Record<string, number | null>;
    lr: number;
    seconds: number;
}

export interface StageMark {
    stage: string;
    /** x of the stage's first epoch. */
    x: number;
    epochs: number;
}

export interface PhaseSeries {
    phase: Phase;
    /** The seed of a multi-seed run the curves belong to. */
    seed?: number;
    stages: StageMark[];
    points: EpochPoint[];
}

export interface RunLog {
    level: 'info' | 'warning' | 'error';
    message: string;
    at?: SpecLoc;
}

export interface RunSnapshot {
    runId: string;
    experiment: string;
    /** Set for runs started from a sweep lens; `experiment` then stays the sweep's name. */
    sweep?: string;
    /** For a sweep: the trial running now (1-based) and the swept experiment. */
    trial?: { experiment: string; index: number };
    specFile?: string;
    runDir?: string;
    backend?: string;
    seed?: number;
    classes: string[];
    /** `interrupted`: results.json says running, but its process is gone (killed without writing its end). */
    status: RunStatus | 'interrupted' | 'queued';
    startedAt?: string;
    endedAt?: string;
    seconds?: number;
    /** Stage plan from run-start, for progress. */
    plannedStages: { phase: Phase; name: string; epochs: number }[];
    current?: { phase: Phase; stage: string; epoch: number; epochs: number; seed?: number };
    /** `seeds`: the seeds the run repeats the experiment with. */
    seeds?: number[];
    epochsDone: number;
    epochsTotal: number;
    eta?: number;
    /** The newest epoch's metrics of the main phase, or of whatever phase is running. */
    lastMetrics?: Record<string, number | null>;
    series: PhaseSeries[];
    logs: RunLog[];
    error?: { message: string; at?: SpecLoc };
    resultsPath?: string;
    results?: ResultsView;
}

const MAX_LOGS = 200;

export function emptySnapshot(runId: string, experiment: string, specFile?: string): RunSnapshot {
    return { runId, experiment, specFile, classes: [], status: 'queued', plannedStages: [], epochsDone: 0, epochsTotal: 0, series: [], logs: [] };
}

function seriesFor(s: RunSnapshot, phase: Phase, seed: number | undefined): PhaseSeries {
    let ser = s.series.find((x) => x.phase === phase && x.seed === seed);
    if (!ser) {
        ser = { phase, stages: [], points: [], ...(seed !== undefined ? { seed } : {}) };
        // Main first, then baselines, then dependencies, whatever order events come in; seeds in order.
        s.series.push(ser);
        const rank = (p: Phase) => (p === 'main' ? 0 : p.startsWith('baseline') ? 1 : 2);
        const seedRank = (x: PhaseSeries) => (x.seed === undefined ? -1 : (s.seeds?.indexOf(x.seed) ?? x.seed));
        s.series.sort((a, b) => seedRank(a) - seedRank(b) || rank(a.phase) - rank(b.phase));
    }
    return ser;
}

/** Applies one event in place and returns the snapshot. Unknown event types are ignored. */
export function applyEvent(s: RunSnapshot, e: RunEvent): RunSnapshot {
    switch (e.type) {
        case 'run-start':
            if (s.sweep) {
                // A sweep runs its trials one after another, each a run of the swept experiment with
                // its own run-start: the snapshot stays the sweep's (its panel) and follows the
                // current trial's curves, so each trial starts fresh.
                s.trial = { experiment: e.experiment, index: (s.trial?.index ?? 0) + 1 };
                s.series = [];
                s.epochsDone = 0;
                s.lastMetrics = undefined;
            } else s.experiment = e.experiment;
            s.runId = e.runId || s.runId;
            s.runDir = e.runDir;
            s.specFile = e.specFile || s.specFile;
            s.backend = e.backend;
            s.seed = e.seed;
            s.classes = e.classes ?? [];
            s.status = 'running';
            // a sweep started when its first trial did
            if (!s.sweep || !s.startedAt) s.startedAt = e.time;
            s.plannedStages = e.stages ?? [];
            if (e.seeds) s.seeds = e.seeds;
            s.epochsTotal = s.plannedStages.reduce((n, st) => n + st.epochs, 0);
            break;
        case 'stage-start': {
            const ser = seriesFor(s, e.phase, e.seed);
            const x = (ser.points.at(-1)?.x ?? 0) + 1;
            ser.stages.push({ stage: e.stage, x, epochs: e.epochs });
            s.current = { phase: e.phase, stage: e.stage, epoch: 0, epochs: e.epochs, ...(e.seed !== undefined ? { seed: e.seed } : {}) };
            if (s.status === 'queued') s.status = 'running';
            break;
        }
        case 'epoch': {
            const ser = seriesFor(s, e.phase, e.seed);
            if (!ser.stages.length || ser.stages.at(-1)!.stage !== e.stage) ser.stages.push({ stage: e.stage, x: (ser.points.at(-1)?.x ?? 0) + 1, epochs: e.epochs });
            const x = (ser.points.at(-1)?.x ?? 0) + 1;
            ser.points.push({ x, stage: e.stage, epoch: e.epoch, metrics: e.metrics, lr: e.lr, seconds: e.seconds });
            s.current = { phase: e.phase, stage: e.stage, epoch: e.epoch, epochs: e.epochs, ...(e.seed !== undefined ? { seed: e.seed } : {}) };
            s.epochsDone++;
            // A stage that stops early leaves its planned epochs unrun; never show more than 100 %.
            if (s.epochsDone > s.epochsTotal) s.epochsTotal = s.epochsDone;
            s.eta = e.eta;
            s.lastMetrics = e.metrics;
            if (s.status === 'queued') s.status = 'running';
            break;
        }
        case 'checkpoint':
            break;
        case 'log':
            s.logs.push({ level: e.level, message: e.message, at: e.at });
            if (s.logs.length > MAX_LOGS) s.logs.splice(0, s.logs.length - MAX_LOGS);
            break;
        case 'run-end':
            s.status = e.status;
            s.endedAt = e.time;
            s.seconds = e.seconds;
            s.resultsPath = e.results;
            s.error = e.error;
            s.current = undefined;
            s.eta = 0;
            break;
    }
    return s;
}

/** The metric the status bar shows: validation accuracy when there is one, else the first val metric, else loss. */
export function headlineMetric(metrics: Record<string, number | null> | undefined): { name: string; value: number } | undefined {
    if (!metrics) return undefined;
    // A NaN metric (null) has nothing to show.
    const m = Object.fromEntries(Object.entries(metrics).filter((e): e is [string, number] => e[1] !== null));
    if (m.val_accuracy !== undefined) return { name: 'val_accuracy', value: m.val_accuracy };
    const val = Object.keys(m).find((k) => k.startsWith('val_') && k !== 'val_loss');
    if (val) return { name: val, value: m[val]! };
    for (const k of ['accuracy', 'loss', 'val_loss']) if (m[k] !== undefined) return { name: k, value: m[k]! };
    const first = Object.keys(m)[0];
    return first ? { name: first, value: m[first]! } : undefined;
}

export function isRunEvent(v: unknown): v is RunEvent {
    // The contract decides: a known event type of a version this Graft reads (an older line has no
    // `schemaVersion` and the same shape; a newer one is refused rather than misread).
    return upgradeEvent(v).ok;
}

/** One line of an experiment's run history (read from its run folder). */
export interface HistoryEntry {
    runId: string;
    runDir: string;
    experiment: string;
    status: string;
    startedAt?: string;
    seconds?: number;
    backend?: string;
    /** `Graft` for local runs, else the exported project's engine, e.g. `PyTorch 1.13.1 DDP ×2 (gloo)`. */
    engine: string;
    /** False for a run of an exported project (another engine trained it). */
    local: boolean;
    /** Test accuracy when recorded, else the first test metric. */
    headline?: { name: string; value: number };
    transferGain?: number;
}
