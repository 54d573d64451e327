// Runs one experiment end to end and records it: dependencies (`backbone <experiment>`) first when
// no up-to-date run exists, then the experiment's stages, evaluation, export, and the baselines.
// Everything lands in runs/<experiment>/<run-id>/ as it happens, so a cancelled or failed run
// keeps what it did, and `--resume` continues from the last completed epoch. The pieces:
// run-record.ts (folder, results.json, state.json, events), dependencies.ts, phase-run.ts (one
// phase, main or baseline), run-evaluation.ts, transfer-gain.ts, model-outputs.ts.

import type { ExperimentPlan } from '../../core/plan/types.js';
import { writeSplitsJson } from '../data/index.js';
import { loadBackbone } from '../train/backbone.js';
import { loadTrainingData, type LoadedData } from '../train/data-adapter.js';
import { runPrototypes } from '../transfer/prototype-run.js';
import { Dependencies, plannedStages } from './dependencies.js';
import { saveTrainedModels } from './model-outputs.js';
import { PhaseRunner } from './phase-run.js';
import { writePredictions } from './predictions-record.js';
import { evaluateModel } from './run-evaluation.js';
import { RunRecord } from './run-record.js';
import { failpoint } from './failpoints.js';
import type { ParentRun, RunContext, RunOptions, RunOutcome } from './run-types.js';
import { transferGain, warnNegativeTransfer } from './transfer-gain.js';

export { keyOf, plannedStages } from './dependencies.js';
export { BASELINE_WORDS } from './transfer-gain.js';
export type { ParentRun, RunContext, RunOptions, RunOutcome } from './run-types.js';

export async function runExperiment(plan: ExperimentPlan, ctx: RunContext, opts: RunOptions, parent?: ParentRun): Promise<RunOutcome> {
    if (plan.seeds && plan.seeds.length > 0 && !opts.runDir) {
        const { runSeeds } = await import('./seeds.js');
        return runSeeds(plan, ctx, opts, parent);
    }
    const record = new RunRecord(plan, ctx, opts, parent);
    const { results } = record;
    let loaded: LoadedData | undefined;
    let phases: PhaseRunner | undefined;
    try {
        const deps = new Dependencies(plan, ctx, results);
        record.start(plannedStages(plan, ctx));
        await deps.train(
            (depPlan, depOpts, depParent) => runExperiment(depPlan, ctx, depOpts, depParent),
            opts,
            { sink: parent?.sink ?? record.sink, ...(parent?.seed !== undefined ? { seed: parent.seed } : {}) },
            (message) => record.log('info', message, plan.backbone.at)
        );

        if (plan.head.kind === 'prototypes') {
            // Nothing trains: backbone features → class means of the training split → test metrics and episodes.
            const { model } = await loadBackbone(plan, deps.backboneContext(), false);
            try {
                const out = await runPrototypes(plan, model, { warn: (msg) => record.log('warning', msg, plan.data.at) });
                results.classes = [out.classes];
                results.metrics = out.metrics;
                for (const e of out.episodes) {
                    record.log('info', `${e.episodes} episodes of ${e.way} way ${e.shot} shot ${e.query} query (${e.distance}): accuracy ${e.accuracy.toFixed(4)} ± ${e.ci95.toFixed(4)} (95% CI)`, plan.head.at);
                }
            } finally {
                model.dispose();
            }
        } else {
            loaded = await loadTrainingData(plan, (msg) => record.log('warning', msg, plan.data.at), ctx.signal);
            await failpoint('after-data', (msg) => record.log('info', msg));
            phases = new PhaseRunner(plan, loaded.data, record, deps.backboneContext(), ctx.cancelled);
            await trainAndEvaluate(plan, record, loaded, phases, parent);
        }
        results.status = 'completed';
    } catch (err) {
        record.fail(err);
    } finally {
        for (const m of phases?.models ?? []) m.model.dispose();
        await loaded?.close().catch(() => undefined);
    }
    return record.finish();
}

/** The experiment's phase, its evaluation and saved models, then each baseline and its gains. */
async function trainAndEvaluate(plan: ExperimentPlan, record: RunRecord, loaded: LoadedData, phases: PhaseRunner, parent: ParentRun | undefined): Promise<void> {
    const { results, state, runDir, log } = record;
    const data = loaded.data;
    results.classes = data.classes;
    try {
        await writeSplitsJson(runDir, loaded.datasets);
    } catch (err) {
        log('warning', `splits.json not written: ${(err as Error).message}`);
    }

    // ---- the experiment itself
    const main = await phases.build();
    if (!state.mainDone) {
        results.stages = await phases.train(main);
        record.saveResults();
        const evaluated = await evaluateModel(main, plan, data, runDir, log, undefined, true);
        results.metrics = evaluated.metrics;
        // A single-label head has no thresholds: null in JSON (as undefined in an array always was).
        if (evaluated.thresholds) results.thresholds = evaluated.thresholds.map((t) => t ?? null);
        if (evaluated.misclassified) results.misclassified = evaluated.misclassified;
        else delete results.misclassified;
        if (evaluated.predictions) writePredictions(runDir, plan.experiment, results.runId, evaluated.predictions);
        await saveTrainedModels(main, plan, { classes: data.classes, thresholds: evaluated.thresholds, runDir, runId: results.runId, cacheKey: results.cacheKey });
        state.mainDone = true;
        state.mainMetrics = results.metrics;
        state.thresholds = evaluated.thresholds?.map((t) => t ?? null);
        record.saveState();
        record.saveResults();
    } else {
        results.metrics = state.mainMetrics ?? results.metrics;
    }

    // ---- the baselines: the same architecture from random weights, same data, splits, stages and seed
    for (const kind of plan.baselines) {
        const base = await phases.build(kind);
        const stages = await phases.train(base, kind);
        const evaluated = await evaluateModel(base, plan, data, runDir, log, state.thresholds?.map((t) => t ?? undefined));
        (results.baselines ??= {})[kind] = { stages, metrics: evaluated.metrics };
        const gains = transferGain(results.metrics, evaluated.metrics);
        (results.transferGain ??= {})[kind] = gains;
        record.saveResults();
        if (kind === 'scratch') warnNegativeTransfer(plan, gains, results.metrics, evaluated.metrics, parent?.seed !== undefined, log);
    }
    results.skipped = data.skipped;
}
