// The sweep's results table: one row per trial, sorted by the objective (best first; trials
// without a value — failed, cancelled, or a metric the run did not record — last, in trial order),
// written as CSV (every scalar metric of every split, for spreadsheets) and markdown (the varied
// values, the objective, the main test metrics, status and run folder, for people and PRs).

import type { SweepPlan } from '../../core/plan/types.js';
import type { StoredMetricValues } from '../runs/results.js';
import type { Trial } from './trials.js';

export interface TrialRecord {
    trial: Trial;
    status: string;
    /** Run folder of the trial. */
    runDir?: string;
    /** Per split: metric → value (results.json's `metrics`). */
    metrics: Record<string, StoredMetricValues>;
    seconds?: number;
    error?: string;
}

export interface RankedTrial extends TrialRecord {
    objective?: number;
    rank?: number;
}

/**
 * The objective's value in a trial's metrics: monitor `<split>_<metric>` (e.g. `val_accuracy`,
 * `val_loss`, `test_f1`) reads metrics[split][metric]; a metric recorded with its averaging
 * (`f1_macro`) also matches its bare name, like the trainer's monitors.
 */
export function objectiveValue(metrics: Record<string, StoredMetricValues>, monitor: string): number | undefined {
    const cut = monitor.indexOf('_');
    if (cut <= 0) return undefined;
    const values = metrics[monitor.slice(0, cut)];
    if (!values) return undefined;
    const metric = monitor.slice(cut + 1);
    const direct = values[metric];
    const v = typeof direct === 'number' ? direct : Object.entries(values).find(([k, x]) => k.startsWith(`${metric}_`) && typeof x === 'number')?.[1];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function rankTrials(records: TrialRecord[], objective: SweepPlan['objective']): RankedTrial[] {
    const ranked: RankedTrial[] = records.map((r) => ({ ...r, objective: r.status === 'completed' ? objectiveValue(r.metrics, objective.monitor) : undefined }));
    const sign = objective.direction === 'max' ? -1 : 1;
    const order = ranked
        .map((r, i) => ({ r, i }))
        .sort((a, b) => {
            const av = a.r.objective;
            const bv = b.r.objective;
            if (av === undefined || bv === undefined) return av === undefined && bv === undefined ? a.i - b.i : av === undefined ? 1 : -1;
            // Ties keep trial order, so the earlier (e.g. cheaper, listed first) trial wins.
            return av === bv ? a.i - b.i : sign * (av - bv);
        })
        .map((x) => x.r);
    let rank = 0;
    for (const r of order) if (r.objective !== undefined) r.rank = ++rank;
    return order;
}

/** Columns `<split>_<metric>` of every scalar metric any trial recorded, sorted. */
function metricColumns(records: TrialRecord[]): string[] {
    const cols = new Set<string>();
    for (const r of records) {
        for (const [split, values] of Object.entries(r.metrics)) for (const [k, v] of Object.entries(values)) if (typeof v === 'number') cols.add(`${split}_${k}`);
    }
    return [...cols].sort();
}

function metricAt(r: TrialRecord, col: string): number | undefined {
    for (const [split, values] of Object.entries(r.metrics)) {
        if (!col.startsWith(`${split}_`)) continue;
        const v = values[col.slice(split.length + 1)];
        if (typeof v === 'number') return v;
    }
    return undefined;
}

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes. */
function csvField(v: string | number): string {
    const text = String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function stringify(rows: (string | number)[][]): string {
    return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function num(v: number | undefined, digits = 4): string {
    if (v === undefined || !Number.isFinite(v)) return '';
    return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(digits);
}

export function sweepCsv(sweep: SweepPlan, ranked: RankedTrial[]): string {
    const params = sweep.vary.map((v) => v.param);
    const cols = metricColumns(ranked);
    const header = ['rank', 'trial', ...params, sweep.objective.monitor, 'status', 'seconds', ...cols.filter((c) => c !== sweep.objective.monitor), 'run_dir', 'error'];
    const rows = ranked.map((r) => [
        r.rank ?? '',
        r.trial.name,
        ...params.map((p) => r.trial.values[p]),
        r.objective ?? '',
        r.status,
        r.seconds === undefined ? '' : r.seconds.toFixed(1),
        ...cols.filter((c) => c !== sweep.objective.monitor).map((c) => metricAt(r, c) ?? ''),
        r.runDir ?? '',
        r.error ?? ''
    ]);
    return stringify([header, ...rows]);
}

function cell(text: string): string {
    return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function sweepMarkdown(sweep: SweepPlan, ranked: RankedTrial[], info: { sweepDir: string; relative: (p: string) => string; seconds?: number }): string {
    const params = sweep.vary.map((v) => v.param);
    const test = metricColumns(ranked).filter((c) => c.startsWith('test_') && c !== sweep.objective.monitor && c !== 'test_loss');
    const best = ranked.find((r) => r.rank === 1);
    const lines: string[] = [];
    lines.push(`# Sweep ${sweep.sweep} of ${sweep.experiment}`, '');
    lines.push(`Objective: ${sweep.objective.direction} ${sweep.objective.monitor}. ${ranked.length} trial${ranked.length === 1 ? '' : 's'}` +
        `${sweep.trials !== undefined ? ` (trials ${sweep.trials} random of the grid)` : ' (full grid)'}` +
        `${info.seconds !== undefined ? `, ${info.seconds.toFixed(0)} s` : ''}.`, '');
    if (best) {
        const vals = params.map((p) => `${p} ${best.trial.values[p]}`).join(', ');
        lines.push(`**Best trial: ${best.trial.name}** (${vals}): ${sweep.objective.monitor} ${num(best.objective)}${best.runDir ? ` — ${info.relative(best.runDir)}` : ''}`, '');
    } else lines.push('**No trial produced the objective** (see the status column).', '');
    const header = ['rank', 'trial', ...params, sweep.objective.monitor, ...test, 'status', 'seconds', 'run'];
    lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
    for (const r of ranked) {
        const row = [
            r.rank === undefined ? '–' : String(r.rank),
            r.rank === 1 ? `**${r.trial.name}**` : r.trial.name,
            ...params.map((p) => String(r.trial.values[p])),
            num(r.objective),
            ...test.map((c) => num(metricAt(r, c))),
            r.error ? `${r.status}: ${r.error}` : r.status,
            r.seconds === undefined ? '' : r.seconds.toFixed(0),
            r.runDir ? info.relative(r.runDir) : ''
        ];
        lines.push(`| ${row.map(cell).join(' | ')} |`);
    }
    return `${lines.join('\n')}\n`;
}
