// `graft compare <run> <run> … [--format text|json]`: runs side by side — who trained each
// (Graft on this machine, or an exported project on PyTorch/Keras), the backend, seed, status and
// time, then every scalar metric per split with its difference from the first run, and the gain
// against each baseline. A run is a run folder or its results.json; an experiment folder
// (`runs/<experiment>`) stands for all its runs, oldest first. Exit 0, or 2 when nothing readable
// was given (each unreadable run is named, with what to do).

import { shownStatus } from '../runtime/runs/liveness.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { displayPath } from './cli-input.js';
import { engineLabel, readEngine, type EngineInfo } from '../runtime/runs/engine.js';

const HELP = `usage: graft compare <run-dir|results.json|experiment-dir> … [--format text|json]

Shows runs side by side: engine (Graft, or the PyTorch/Keras project \`graft export\` wrote),
backend, seed, status, time, every metric per split with its difference from the first run, and
the gain against each baseline. An experiment folder (runs/<experiment>) stands for all its runs.`;

export interface ComparedRun {
    /** The run folder (or the folder of the results.json given). */
    runDir: string;
    runId: string;
    experiment: string;
    engine: EngineInfo;
    backend?: string;
    seed?: number;
    status?: string;
    seconds?: number;
    /** split → metric → value (scalars only). */
    metrics: Record<string, Record<string, number>>;
    /** baseline → split → metric → gain. */
    gains: Record<string, Record<string, Record<string, number>>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function scalars(v: unknown): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    if (!isObj(v)) return out;
    for (const [split, m] of Object.entries(v)) {
        if (!isObj(m)) continue;
        const row: Record<string, number> = {};
        for (const [k, x] of Object.entries(m)) if (num(x) !== undefined) row[k] = x as number;
        if (Object.keys(row).length) out[split] = row;
    }
    return out;
}

/** Reads one run; throws an Error naming the file and what to do when it cannot. */
export function readComparedRun(path: string): ComparedRun {
    const file = path.endsWith('.json') ? path : join(path, 'results.json');
    let raw: unknown;
    try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist (the run has not finished, or this is not a run folder)' : `it is not readable JSON (${(err as Error).message})`;
        throw new Error(`${displayPath(file)}: ${why}; give a run folder that has a results.json`);
    }
    if (!isObj(raw)) throw new Error(`${displayPath(file)}: not a results.json object; give a run folder written by \`graft run\` or an exported project`);
    const runDir = dirname(file);
    const gains: ComparedRun['gains'] = {};
    if (isObj(raw.transferGain)) {
        for (const [baseline, splits] of Object.entries(raw.transferGain)) {
            const s = scalars(splits);
            if (Object.keys(s).length) gains[baseline] = s;
        }
    }
    return {
        runDir,
        runId: str(raw.runId) ?? basename(runDir),
        experiment: str(raw.experiment) ?? basename(dirname(runDir)),
        engine: readEngine(raw),
        backend: str(raw.backend),
        seed: num(raw.seed),
        status: typeof raw.status === 'string' && raw.status === 'running' ? shownStatus(raw as Parameters<typeof shownStatus>[0]) : str(raw.status),
        seconds: num(raw.seconds),
        metrics: scalars(raw.metrics),
        gains
    };
}

/** Run folders (or results.json files) an argument stands for: itself, or an experiment folder's runs. */
export function expandRunArg(path: string): string[] {
    if (path.endsWith('.json') || existsSync(join(path, 'results.json'))) return [path];
    let names: string[];
    try {
        if (!statSync(path).isDirectory()) return [path];
        names = readdirSync(path).sort();
    } catch {
        return [path];
    }
    const runs = names.map((n) => join(path, n)).filter((d) => existsSync(join(d, 'results.json')));
    return runs.length ? runs : [path];
}

const fmtValue = (metric: string, v: number | undefined): string =>
    v === undefined ? '–' : /loss/.test(metric) ? v.toFixed(4) : v.toFixed(3);

function fmtDelta(metric: string, d: number | undefined): string {
    if (d === undefined) return '';
    const s = /loss/.test(metric) ? d.toFixed(4) : d.toFixed(3);
    return ` (${d > 0 ? '+' : d < 0 ? '' : '±'}${s})`;
}

const splitOrder = (a: string, b: string): number => (a === 'test' ? -1 : b === 'test' ? 1 : a.localeCompare(b));

/** The side-by-side table, one column per run; differences are against the first run. */
export function compareTable(runs: ComparedRun[]): string {
    const header = ['', ...runs.map((r) => `${r.experiment}/${r.runId}`)];
    const rows: string[][] = [
        ['engine', ...runs.map((r) => engineLabel(r.engine))],
        ['backend', ...runs.map((r) => r.backend ?? '–')],
        ['seed', ...runs.map((r) => (r.seed === undefined ? '–' : String(r.seed)))],
        ['status', ...runs.map((r) => r.status ?? '–')],
        ['time', ...runs.map((r) => (r.seconds === undefined ? '–' : `${r.seconds.toFixed(1)} s`))]
    ];
    const splits = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(splitOrder);
    for (const split of splits) {
        const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics[split] ?? {})))];
        for (const m of names) {
            const first = runs[0]!.metrics[split]?.[m];
            rows.push([`${split} ${m}`, ...runs.map((r, i) => {
                const v = r.metrics[split]?.[m];
                return fmtValue(m, v) + (i > 0 && v !== undefined && first !== undefined ? fmtDelta(m, v - first) : '');
            })]);
        }
    }
    const baselines = [...new Set(runs.flatMap((r) => Object.keys(r.gains)))];
    for (const b of baselines) {
        for (const split of [...new Set(runs.flatMap((r) => Object.keys(r.gains[b] ?? {})))].sort(splitOrder)) {
            const names = [...new Set(runs.flatMap((r) => Object.keys(r.gains[b]?.[split] ?? {})))];
            for (const m of names) rows.push([`gain vs ${b}, ${split} ${m}`, ...runs.map((r) => {
                const g = r.gains[b]?.[split]?.[m];
                return g === undefined ? '–' : `${g >= 0 ? '+' : ''}${g.toFixed(3)}`;
            })]);
        }
    }
    const all = [header, ...rows];
    const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
    return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n');
}

export async function compare(args: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
        console.error(`graft compare: ${(err as Error).message}\n\n${HELP}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log(HELP);
        return 0;
    }
    const format = parsed.values.format;
    if (format !== 'text' && format !== 'json') {
        console.error(`graft compare: --format must be text or json, not '${format}'`);
        return 2;
    }
    if (!parsed.positionals.length) {
        console.error(`graft compare: name at least one run folder or experiment folder\n\n${HELP}`);
        return 2;
    }
    const runs: ComparedRun[] = [];
    let bad = 0;
    for (const p of parsed.positionals.flatMap(expandRunArg)) {
        try {
            runs.push(readComparedRun(p));
        } catch (err) {
            bad++;
            console.error(`graft compare: ${(err as Error).message}`);
        }
    }
    if (!runs.length) return 2;
    if (format === 'json') console.log(JSON.stringify({ runs }, null, 2));
    else console.log(compareTable(runs));
    return bad ? 2 : 0;
}
