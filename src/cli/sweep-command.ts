// `graft run <file> [--experiment NAME]` when the target is a sweep: NAME is a sweep's name, or no
// NAME is given and the file declares sweeps but no experiment (e.g. examples/sweep.graft). Every
// trial runs through the runtime's runExperiment (so each is a normal run folder under
// runs/<experiment>/); the sweep's table goes to runs/<sweep>/<sweep-run-id>/.
//
// cli/run.ts calls `selectSweep` first and, when it returns a selection, `runSweepCommand`.

import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WorkspaceInputError } from '../language/workspace/load-workspace.js';
import { blockingErrors, buildPlans } from '../language/plan/build.js';
import type { ExperimentPlan, SweepPlan } from '../core/plan/types.js';
import { displayPath } from './cli-input.js';
import { formatDiagnostic, PlanSelectionError } from '../language/plan/workspace-plans.js';
import { runSweep } from '../runtime/sweep/run-sweep.js';
import { SweepError } from '../runtime/sweep/trials.js';

export interface SweepSelection {
    specFile: string;
    sweep: SweepPlan;
    plan: ExperimentPlan;
    plans: Map<string, ExperimentPlan>;
}

/** Blocking spec errors (exit 1): a PlanSelectionError, so `graft run` reports it like an experiment's. */
export class SweepSelectionError extends PlanSelectionError {}

/** The sweep `name` (or the file's only sweep when it declares no experiment); undefined when the target is an experiment. */
export async function selectSweep(file: string, name?: string): Promise<SweepSelection | undefined> {
    const specFile = resolve(file);
    if (!existsSync(specFile) || statSync(specFile).isDirectory()) return undefined; // the experiment path reports these
    const set = await buildPlans([dirname(specFile)]);
    let sweep: SweepPlan | undefined;
    if (name !== undefined) {
        sweep = set.sweeps.get(name);
        if (!sweep) {
            const err = set.planErrors.get(name);
            if (err && !set.experiments.has(name)) throw new SweepSelectionError(`${err.at ? `${displayPath(err.at.file)}:${err.at.line}:${err.at.column}: ` : ''}error: ${err.message}`);
            return undefined;
        }
    } else {
        const experimentsInFile = [...set.experiments.values()].filter((p) => p.at.file === specFile);
        const sweepsInFile = [...set.sweeps.values()].filter((s) => s.at.file === specFile);
        if (experimentsInFile.length > 0 || sweepsInFile.length === 0) return undefined;
        if (sweepsInFile.length > 1) {
            throw new WorkspaceInputError(`${displayPath(specFile)} declares ${sweepsInFile.length} sweeps (${sweepsInFile.map((s) => s.sweep).join(', ')}); choose one with --experiment NAME`);
        }
        sweep = sweepsInFile[0];
    }
    const plan = set.experiments.get(sweep.experiment);
    if (!plan) {
        const e = set.planErrors.get(sweep.experiment);
        throw new SweepSelectionError(`sweep ${sweep.sweep}: experiment ${sweep.experiment} cannot be planned${e ? `: ${e.message}` : ''}`);
    }
    const blocking = [
        ...set.diagnostics.filter((d) => d.severity === 'error' && d.file === sweep!.at.file),
        ...blockingErrors(set, plan)
    ];
    if (blocking.length) throw new SweepSelectionError([...new Set(blocking.map(formatDiagnostic))].join('\n'));
    return { specFile, sweep, plan, plans: set.experiments };
}

export interface SweepFlags {
    events: boolean;
    backend?: string;
    runsDir?: string;
}

function fmt(v: number | undefined): string {
    return v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** Runs the sweep; exit code 0 completed (even when some trials failed), 1 nothing completed, 130 cancelled. */
export async function runSweepCommand(sel: SweepSelection, flags: SweepFlags): Promise<number> {
    const { sweep, plan, plans, specFile } = sel;
    const runsRoot = flags.runsDir ? resolve(flags.runsDir) : join(dirname(specFile), 'runs');
    const { chooseBackend } = await import('../runtime/runs/backend-choice.js');
    const { runExperiment } = await import('../runtime/runs/runner.js');
    const { defaultBackboneLoaders } = await import('../runtime/runs/weights-bridge.js');
    const backend = await chooseBackend(flags.backend, plan.device, (m) => console.error(`graft run: ${m}`));

    const { cancelOnSignals } = await import('./cancel-signals.js');
    (await import('../runtime/scratch.js')).sweepStaleScratch();
    const stop = cancelOnSignals({ quiet: flags.events, what: 'the sweep' });
    try {
        const outcome = await runSweep(sweep, plan, {
            runsRoot,
            cancelled: stop.cancelled,
            log: (level, message) => console.error(`${level === 'info' ? '' : `${level}: `}${message}`),
            runTrial: async (trialPlan, trial) => {
                // The trial's plan replaces the experiment's for this run; its dependencies are shared.
                const trialPlans = new Map(plans);
                trialPlans.set(trialPlan.experiment, trialPlan);
                const started = Date.now();
                const out = await runExperiment(
                    trialPlan,
                    { plans: trialPlans, runsRoot, backend, backboneLoaders: defaultBackboneLoaders(stop.signal), cancelled: stop.cancelled, signal: stop.signal },
                    { events: flags.events, resume: false }
                );
                if (!flags.events) {
                    const val = out.results.metrics.val;
                    const obj = sweep.objective.monitor.startsWith('val_') && val ? val[sweep.objective.monitor.slice(4)] : undefined;
                    console.error(`  ${trial.name}: ${out.status} in ${((Date.now() - started) / 1000).toFixed(0)} s, ${sweep.objective.monitor} ${fmt(typeof obj === 'number' ? obj : undefined)} → ${displayPath(out.runDir)}`);
                }
                return out;
            }
        });
        if (!flags.events) {
            const best = outcome.best;
            console.error(
                `sweep ${sweep.sweep}: ${outcome.status}, ${outcome.ranked.length} trial(s) in ${outcome.seconds.toFixed(0)} s → ${displayPath(join(outcome.sweepDir, 'sweep.md'))}` +
                    (best ? `\n  best trial ${best.trial.name} (${Object.entries(best.trial.values).map(([k, v]) => `${k} ${v}`).join(', ')}): ${sweep.objective.monitor} ${fmt(best.objective)}` : '\n  no trial produced the objective')
            );
        }
        if (outcome.status === 'cancelled') return 130;
        return outcome.best || outcome.ranked.some((r) => r.status === 'completed') ? 0 : 1;
    } catch (err) {
        if (err instanceof SweepError) {
            const where = err.at ? `${displayPath(err.at.file)}:${err.at.line}:${err.at.column}: ` : '';
            console.error(`${where}error: ${err.message}`);
            return 1;
        }
        throw err;
    } finally {
        stop.dispose();
    }
}
