// Reading the files of a run (results.json, events, sweep.json) of any version this Graft knows
// into the current types, with each older shape's upgrade written out, so readers (the panel,
// `--resume`) never guess at spellings. A newer version than this Graft knows is refused with
// what to do, never read by guesswork.
//
// results.json versions:
//   0  no `schemaVersion`. Two shapes were written: before baselines had kinds, one `baseline`
//      ({stages, metrics}, the frozen layout over random weights, i.e. today's random_features)
//      with a flat `transferGain` {split: {metric: gain}} and stages in phase `baseline`; after,
//      today's shape without the version.
//   1  `schemaVersion: 1` (RESULTS_SCHEMA_VERSION): docs/schema/results.schema.json.
// Events, sweep.json and plan.json: version 0 (no `schemaVersion`) is version 1 without the field.

import { SWEEP_SCHEMA_VERSION, type SweepRecord } from '../sweep/sweep-record.js';
import { EVENTS_SCHEMA_VERSION, type Phase, type RunEvent } from './events.js';
import { RESULTS_SCHEMA_VERSION, type BaselineResult, type RunResults } from './results.js';
import { PLAN_SCHEMA_VERSION, type PlanFile } from './plan-file.js';

/** A file (or an event line) read as the current version, or why it cannot be. */
export type Upgraded<T> = { ok: true; value: T; upgradedFrom?: number } | { ok: false; error: string };

export type ResultsRead =
    | {
          ok: true;
          results: RunResults;
          /** The version the file was written in, when it was older than RESULTS_SCHEMA_VERSION. */
          upgradedFrom?: number;
          /** What the upgrade changed that a reader should know (shown by the panel). */
          notes: string[];
      }
    | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file's version (0 when absent), or why it has none this Graft can read. */
function versionOf(raw: Obj, current: number, file: string): number | string {
    const version = raw.schemaVersion ?? 0;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return `${file}: schemaVersion ${JSON.stringify(version)} is not a version number`;
    if (version > current) return `${file} has schemaVersion ${version}, newer than this Graft reads (${current}): update Graft (the extension and the graft command) to read it`;
    return version;
}

/** `file` names the file in messages. */
export function upgradeResults(raw: unknown, file = 'results.json'): ResultsRead {
    if (!isObj(raw)) return { ok: false, error: `${file} is not a JSON object` };
    const version = versionOf(raw, RESULTS_SCHEMA_VERSION, file);
    if (typeof version === 'string') return { ok: false, error: version };
    const missing = ['experiment', 'status'].filter((k) => typeof raw[k] !== 'string');
    if (!isObj(raw.metrics)) missing.push('metrics');
    if (missing.length) return { ok: false, error: `${file} is not a Graft run's results: it has no ${missing.map((k) => `\`${k}\``).join(', ')}` };
    const notes: string[] = [];
    const results = version === 0 ? fromVersion0(structuredClone(raw), notes) : (raw as unknown as RunResults);
    return { ok: true, results, ...(version < RESULTS_SCHEMA_VERSION ? { upgradedFrom: version } : {}), notes };
}

/** Version 0 → 1: the single kind-less `baseline` becomes `baselines.random_features`; the version is set. */
function fromVersion0(r: Obj, notes: string[]): RunResults {
    if (isObj(r.baseline) && r.baselines === undefined) {
        const legacy = r.baseline as unknown as BaselineResult;
        legacy.stages = (legacy.stages ?? []).map((s) => ({ ...s, phase: s.phase === ('baseline' as Phase) ? 'baseline:random_features' : s.phase }));
        r.baselines = { random_features: legacy };
        if (isObj(r.transferGain)) r.transferGain = { random_features: r.transferGain };
        delete r.baseline;
        notes.push('recorded before baselines had kinds: its baseline (the same freezing over a random backbone) is shown as random_features');
    }
    for (const key of ['classes', 'stages', 'dependencies', 'skipped'] as const) if (!Array.isArray(r[key])) r[key] = [];
    return { schemaVersion: RESULTS_SCHEMA_VERSION, ...(r as unknown as Omit<RunResults, 'schemaVersion'>) };
}

const EVENT_TYPES = new Set<string>(['run-start', 'stage-start', 'epoch', 'checkpoint', 'log', 'run-end']);

/** One line of events.ndjson (or of `graft run --events`), parsed. */
export function upgradeEvent(raw: unknown): Upgraded<RunEvent> {
    if (!isObj(raw) || typeof raw.type !== 'string') return { ok: false, error: 'an event line is not a JSON object with a `type`' };
    const version = versionOf(raw, EVENTS_SCHEMA_VERSION, `a ${raw.type} event`);
    if (typeof version === 'string') return { ok: false, error: version };
    if (!EVENT_TYPES.has(raw.type)) return { ok: false, error: `unknown event type ${raw.type}` };
    const value = { ...raw, schemaVersion: EVENTS_SCHEMA_VERSION } as unknown as RunEvent;
    return { ok: true, value, ...(version < EVENTS_SCHEMA_VERSION ? { upgradedFrom: version } : {}) };
}

/** A sweep folder's sweep.json. */
export function upgradeSweep(raw: unknown, file = 'sweep.json'): Upgraded<SweepRecord> {
    if (!isObj(raw)) return { ok: false, error: `${file} is not a JSON object` };
    const version = versionOf(raw, SWEEP_SCHEMA_VERSION, file);
    if (typeof version === 'string') return { ok: false, error: version };
    if (typeof raw.sweep !== 'string' || !Array.isArray(raw.trials)) return { ok: false, error: `${file} is not a Graft sweep table: it has no \`sweep\` name or no \`trials\`` };
    const value = { ...raw, schemaVersion: SWEEP_SCHEMA_VERSION } as unknown as SweepRecord;
    return { ok: true, value, ...(version < SWEEP_SCHEMA_VERSION ? { upgradedFrom: version } : {}) };
}

/** A run folder's plan.json. */
export function upgradePlan(raw: unknown, file = 'plan.json'): Upgraded<PlanFile> {
    if (!isObj(raw)) return { ok: false, error: `${file} is not a JSON object` };
    const version = versionOf(raw, PLAN_SCHEMA_VERSION, file);
    if (typeof version === 'string') return { ok: false, error: version };
    if (typeof raw.experiment !== 'string' || !isObj(raw.head) || !isObj(raw.data)) return { ok: false, error: `${file} is not a Graft plan: it has no \`experiment\`, \`data\` or \`head\`` };
    const value = { ...raw, schemaVersion: PLAN_SCHEMA_VERSION } as unknown as PlanFile;
    return { ok: true, value, ...(version < PLAN_SCHEMA_VERSION ? { upgradedFrom: version } : {}) };
}
