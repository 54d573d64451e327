// Runs a sweep: each trial is the swept experiment's plan with the trial's values applied, run as
// a normal experiment run (its own run folder, through the injected `runTrial` — in the CLI the
// runtime's runExperiment). Trials run one after another (the machine's cores are the limit);
// a failed trial is recorded and the sweep goes on; a cancelled one ends the sweep. After every
// trial runs/<sweep>/<sweep-run-id>/ gets sweep.json, sweep.csv and sweep.md (written atomically),
// so an interrupted sweep keeps its table so far.

import { registerActiveRun } from '../runs/active-runs.js';
import { join, relative } from 'node:path';
import type { ExperimentPlan, SweepPlan } from '../../core/plan/types.js';
import type { StoredMetricValues } from '../runs/results.js';
import { writeFileAtomic, writeJsonAtomic } from '../runs/files.js';
import { newRunId } from '../runs/run-dir.js';
import { applyTrial } from './apply.js';
import { rankTrials, sweepCsv, sweepMarkdown, type RankedTrial, type TrialRecord } from './table.js';
import { expandTrials, SweepError, type Trial } from './trials.js';
import { SWEEP_SCHEMA_VERSION, type SweepRecord } from './sweep-record.js';

export { SWEEP_SCHEMA_VERSION, type SweepRecord, type SweepTrialRecord } from './sweep-record.js';

export interface TrialOutcome {
    status: 'completed' | 'failed' | 'cancelled' | string;
    runDir: string;
    results: { metrics: Record<string, StoredMetricValues>; seconds?: number; error?: { message: string } };
}

export type RunTrial = (plan: ExperimentPlan, trial: Trial) => Promise<TrialOutcome>;

export interface SweepOptions {
    /** runs/ root: the sweep's folder is <runsRoot>/<sweep>/<sweep-run-id>/. */
    runsRoot: string;
    runTrial: RunTrial;
    log?: (level: 'info' | 'warning' | 'error', message: string) => void;
    cancelled?: () => boolean;
    now?: () => Date;
}

export interface SweepOutcome {
    status: 'completed' | 'cancelled';
    sweepDir: string;
    ranked: RankedTrial[];
    best?: RankedTrial;
    seconds: number;
}

export async function runSweep(sweep: SweepPlan, plan: ExperimentPlan, options: SweepOptions): Promise<SweepOutcome> {
    if (plan.experiment !== sweep.experiment) throw new SweepError(`sweep ${sweep.sweep} is of ${sweep.experiment}, not ${plan.experiment}`, sweep.at);
    const started = Date.now();
    const trials = expandTrials(sweep, plan.seed);
    // Apply every trial before running any, so a value that cannot apply fails the sweep at once.
    const plans = trials.map((t) => applyTrial(plan, t.values, sweep.at));
    const parent = join(options.runsRoot, sweep.sweep);
    const sweepDir = join(parent, newRunId(parent, options.now?.()));
    const records: TrialRecord[] = [];
    const log = options.log ?? (() => undefined);
    let status: SweepOutcome['status'] = 'completed';

    const write = (state: SweepRecord['status']): RankedTrial[] => {
        const ranked = rankTrials(records, sweep.objective);
        const seconds = (Date.now() - started) / 1000;
        const rel = (p: string): string => relative(sweepDir, p) || '.';
        const record: SweepRecord = {
            schemaVersion: SWEEP_SCHEMA_VERSION,
            sweep: sweep.sweep, experiment: sweep.experiment, objective: sweep.objective, status: state,
            trials: ranked.map((r) => ({
                name: r.trial.name, values: r.trial.values, status: r.status,
                ...(r.objective !== undefined ? { objective: r.objective } : {}), ...(r.rank !== undefined ? { rank: r.rank } : {}),
                ...(r.runDir ? { runDir: r.runDir } : {}), ...(r.seconds !== undefined ? { seconds: r.seconds } : {}), ...(r.error ? { error: r.error } : {})
            })),
            ...(ranked[0]?.rank === 1 ? { best: ranked[0].trial.name } : {}),
            seconds
        };
        writeJsonAtomic(join(sweepDir, 'sweep.json'), record);
        writeFileAtomic(join(sweepDir, 'sweep.csv'), sweepCsv(sweep, ranked));
        writeFileAtomic(join(sweepDir, 'sweep.md'), sweepMarkdown(sweep, ranked, { sweepDir, relative: rel, seconds }));
        return ranked;
    };

    write('running');
    // A stop that cannot wait for the trial to unwind still leaves the table saying `cancelled`.
    const unregister = registerActiveRun(() => void write('cancelled'));
    for (let i = 0; i < trials.length; i++) {
        const trial = trials[i];
        if (options.cancelled?.()) {
            status = 'cancelled';
            break;
        }
        const desc = Object.entries(trial.values).map(([k, v]) => `${k} ${v}`).join(', ');
        log('info', `sweep ${sweep.sweep}: trial ${trial.name} (${i + 1}/${trials.length}): ${desc}`);
        let record: TrialRecord;
        try {
            const outcome = await options.runTrial(plans[i], trial);
            record = {
                trial, status: outcome.status, runDir: outcome.runDir, metrics: outcome.results.metrics ?? {},
                ...(outcome.results.seconds !== undefined ? { seconds: outcome.results.seconds } : {}),
                ...(outcome.results.error ? { error: outcome.results.error.message } : {})
            };
        } catch (err) {
            record = { trial, status: 'failed', metrics: {}, error: (err as Error).message ?? String(err) };
        }
        records.push(record);
        if (record.status === 'failed') log('warning', `sweep ${sweep.sweep}: trial ${trial.name} failed: ${record.error ?? 'see its run folder'}`);
        write('running');
        if (record.status === 'cancelled') {
            status = 'cancelled';
            break;
        }
    }
    unregister();
    const ranked = write(status);
    const best = ranked[0]?.rank === 1 ? ranked[0] : undefined;
    return { status, sweepDir, ranked, best, seconds: (Date.now() - started) / 1000 };
}
