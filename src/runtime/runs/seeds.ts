// `seeds 1, 2, 3` (or `graft run --seeds N`): the experiment and its baselines once per seed, each
// seed a complete run folder (runs/<experiment>/<run-id>/seed-<n>/), and the run's own results.json
// reporting every metric and every gain as mean ± spread over the seeds. A gain smaller than its
// spread is marked not significant. The first completed seed's model, backbone, curves and
// per-class details stand for the run where one is needed (`backbone <experiment>`, the panel).

import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BaselineKind, ExperimentPlan } from '../../core/plan/types.js';
import { formatSpread, gainSpreadOf, spreadOf, spreadTable } from '../eval/spread.js';
import { scalarMetrics } from '../eval/metrics.js';
import { EventSink } from './event-sink.js';
import type { RunEvent } from './events.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from './files.js';
import { RESULTS_SCHEMA_VERSION, type RunResults, type SeedsSummary, type StoredMetricValues } from './results.js';
import { toPlanFile } from './plan-file.js';
import { currentOwner, startHeartbeat } from './liveness.js';
import { registerActiveRun } from './active-runs.js';
import { findResumable, newRunId } from './run-dir.js';
import { BASELINE_WORDS, keyOf, plannedStages, runExperiment, type ParentRun, type RunContext, type RunOptions, type RunOutcome } from './runner.js';

/** The seeds `graft run --seeds <N | a,b,c>` asks for: N seeds from the spec's own, or the list. */
export function seedsFromOption(text: string, specSeed: number): number[] | string {
    const parts = text.split(',').map((p) => p.trim());
    if (parts.some((p) => !/^\d+$/.test(p))) return `--seeds takes a count (e.g. 3) or a list of whole numbers (e.g. 1,2,3), not '${text}'`;
    const values = parts.map(Number);
    if (values.length === 1) {
        if (values[0] < 1) return '--seeds needs at least one seed';
        return Array.from({ length: values[0] }, (_, i) => specSeed + i);
    }
    const unique = [...new Set(values)];
    return unique.length === values.length ? unique : `--seeds lists ${values.length - unique.length} seed(s) twice: ${text}`;
}

function seedDir(runDir: string, seed: number): string {
    return join(runDir, `seed-${seed}`);
}

/** Scalars of a table of metric values. */
function scalars(table: Record<string, StoredMetricValues> | undefined): Record<string, Record<string, number>> {
    return Object.fromEntries(Object.entries(table ?? {}).map(([split, values]) => [split, scalarMetrics(values)]));
}

/** The first seed's table with every scalar replaced by its mean over the seeds. */
function withMeans(first: Record<string, StoredMetricValues>, spread: Record<string, Record<string, { mean: number }>>): Record<string, StoredMetricValues> {
    const out: Record<string, StoredMetricValues> = {};
    for (const [split, values] of Object.entries(first)) {
        out[split] = { ...values };
        for (const [k, s] of Object.entries(spread[split] ?? {})) out[split][k] = s.mean;
    }
    return out;
}

/** Summary of the completed seeds' results (in seed order). */
export function summarizeSeeds(done: { seed: number; results: RunResults }[]): Pick<SeedsSummary, 'metrics' | 'baselines' | 'transferGain'> {
    const metrics = spreadTable(done.map((d) => scalars(d.results.metrics)), spreadOf);
    const kinds = [...new Set(done.flatMap((d) => Object.keys(d.results.baselines ?? {})))] as BaselineKind[];
    const baselines: SeedsSummary['baselines'] = {};
    const transferGain: SeedsSummary['transferGain'] = {};
    for (const kind of kinds) {
        const withKind = done.filter((d) => d.results.baselines?.[kind]);
        baselines[kind] = spreadTable(withKind.map((d) => scalars(d.results.baselines![kind]!.metrics)), spreadOf);
        // Gains pair each seed's experiment with the same seed's baseline (same splits, same shots).
        transferGain[kind] = spreadTable(withKind.map((d) => d.results.transferGain?.[kind] ?? {}), gainSpreadOf);
    }
    return { metrics, ...(kinds.length ? { baselines, transferGain } : {}) };
}

export async function runSeeds(plan: ExperimentPlan, ctx: RunContext, opts: RunOptions, parent?: ParentRun): Promise<RunOutcome> {
    const seeds = plan.seeds!;
    const started = Date.now();
    const experimentDir = join(ctx.runsRoot, plan.experiment);
    const resumeDir = opts.resume ? findResumable(ctx.runsRoot, plan.experiment) : undefined;
    const runDir = resumeDir ?? join(experimentDir, newRunId(experimentDir));
    const runId = runDir.split(/[\\/]/).pop()!;
    mkdirSync(runDir, { recursive: true });

    const sink = new EventSink(runId, opts.events && !parent);
    sink.attach(join(runDir, 'events.ndjson'));
    if (!parent) for (const fn of opts.listeners ?? []) sink.listen(fn);
    else {
        sink.listen((e: RunEvent) => {
            if (e.type === 'stage-start' || e.type === 'epoch' || e.type === 'checkpoint') parent.sink.emit({ ...e, ...(parent.phase ? { phase: parent.phase } : {}) });
            else if (e.type === 'log') parent.sink.emit({ ...e, message: `${plan.experiment}: ${e.message}` });
        });
    }
    const log = (level: 'info' | 'warning' | 'error', message: string, at = plan.at): void => {
        sink.emit({ type: 'log', level, message, at });
    };

    const results: RunResults = {
        schemaVersion: RESULTS_SCHEMA_VERSION,
        experiment: plan.experiment, runId, status: 'running', backend: ctx.backend, seed: seeds[0], specFile: plan.at.file,
        started: new Date(started).toISOString(), classes: [], stages: [], metrics: {}, dependencies: [], cacheKey: keyOf(plan.experiment, ctx.plans), skipped: [],
        seeds: { values: seeds, runs: [], metrics: {} },
        owner: currentOwner()
    };
    const saveResults = (): void => writeJsonAtomic(join(runDir, 'results.json'), results);
    if (!resumeDir) {
        copyFileSync(plan.at.file, join(runDir, 'spec.graft'));
        writeJsonAtomic(join(runDir, 'plan.json'), toPlanFile(plan));
    }
    // Marks the folder resumable until it completes; each seed keeps its own state.
    writeJsonAtomic(join(runDir, 'state.json'), { runId, seeds });
    saveResults();
    const stopBeat = startHeartbeat(results, saveResults);
    // A stop that cannot wait writes this record's end too (its seeds' records end first).
    const unregister = registerActiveRun((status) => {
        stopBeat();
        results.status = status;
        results.finished = new Date().toISOString();
        results.seconds = (Date.now() - started) / 1000;
        delete results.owner;
        saveResults();
        if (!parent) sink.emit({ type: 'run-end', status, results: join(runDir, 'results.json'), seconds: results.seconds });
    });

    if (!parent) {
        const single = { ...plan, seeds: undefined };
        const stages = seeds.flatMap((seed, i) => {
            const list = plannedStages(single, ctx);
            // Dependencies train once, with the first seed's run; the others find them up to date.
            return (i === 0 ? list : list.filter((s) => !s.phase.startsWith('dependency:'))).map((s) => ({ ...s, seed }));
        });
        sink.emit({
            type: 'run-start', experiment: plan.experiment, runDir, specFile: plan.at.file, backend: ctx.backend, seed: seeds[0],
            classes: plan.data.classes ?? [], stages, seeds, ...(resumeDir ? { resumed: true } : {})
        });
    }
    log('info', `${plan.experiment}: ${seeds.length} seeds (${seeds.join(', ')}), each in ${join(runDir, 'seed-<n>')}`);

    const done: { seed: number; results: RunResults; runDir: string }[] = [];
    const summary = results.seeds!;
    let cancelled = false;
    for (const seed of seeds) {
        const dir = seedDir(runDir, seed);
        const previous = readJson<RunResults>(join(dir, 'results.json'));
        let outcome: Pick<RunOutcome, 'status' | 'results'>;
        if (resumeDir && previous?.status === 'completed') {
            log('info', `seed ${seed}: completed before; reusing ${dir}`);
            outcome = { status: 'completed', results: previous };
        } else {
            if (ctx.cancelled()) {
                cancelled = true;
                break;
            }
            log('info', `seed ${seed}: ${seeds.indexOf(seed) + 1} of ${seeds.length}`);
            // A seed that crashed in a previous attempt without a state starts afresh.
            if (previous && !existsSync(join(dir, 'state.json'))) rmSync(dir, { recursive: true, force: true });
            // A multi-seed dependency's seeds show under the dependency's phase in its dependent's stream.
            outcome = await runExperiment({ ...plan, seed, seeds: undefined }, ctx, { events: false, resume: opts.resume, runDir: dir }, { sink: parent?.sink ?? sink, seed, ...(parent?.phase ? { phase: parent.phase } : {}) });
        }
        summary.runs.push({ seed, runDir: dir, status: outcome.status, ...(outcome.results.error ? { error: outcome.results.error.message } : {}) });
        for (const d of outcome.results.dependencies ?? []) if (!results.dependencies.some((x) => x.experiment === d.experiment)) results.dependencies.push(d);
        if (outcome.status === 'completed') done.push({ seed, results: outcome.results, runDir: dir });
        Object.assign(summary, summarizeSeeds(done));
        saveResults();
        if (outcome.status === 'cancelled') {
            cancelled = true;
            break;
        }
    }

    const first = done[0];
    if (first) {
        const r = first.results;
        results.classes = r.classes;
        results.stages = r.stages;
        results.skipped = r.skipped;
        results.metrics = withMeans(r.metrics, summary.metrics);
        if (r.thresholds) results.thresholds = r.thresholds;
        if (r.misclassified) results.misclassified = r.misclassified.map((m) => ({ ...m, image: `seed-${first.seed}/${m.image}` }));
        if (summary.baselines) {
            results.baselines = {};
            for (const [kind, spread] of Object.entries(summary.baselines) as [BaselineKind, Record<string, Record<string, { mean: number }>>][]) {
                const own = done.find((d) => d.results.baselines?.[kind])!.results.baselines![kind]!;
                results.baselines[kind] = { stages: own.stages, metrics: withMeans(own.metrics, spread) };
            }
        }
        if (summary.transferGain) {
            results.transferGain = Object.fromEntries(
                Object.entries(summary.transferGain).map(([kind, bySplit]) => [kind, Object.fromEntries(Object.entries(bySplit ?? {}).map(([split, m]) => [split, Object.fromEntries(Object.entries(m).map(([k, s]) => [k, s.mean]))]))])
            );
        }
        // The run's model and backbone are the first completed seed's (dependents and exports need one).
        for (const part of ['model', 'backbone']) {
            if (existsSync(join(first.runDir, part))) cpSync(join(first.runDir, part), join(runDir, part), { recursive: true });
        }
        if (existsSync(join(first.runDir, 'splits.json'))) copyFileSync(join(first.runDir, 'splits.json'), join(runDir, 'splits.json'));
        reportSpread(plan, results, log);
    }
    const failed = summary.runs.filter((r) => r.status === 'failed');
    results.status = cancelled ? 'cancelled' : failed.length ? 'failed' : 'completed';
    if (failed.length) results.error = { message: failed.map((f) => `seed ${f.seed} failed: ${f.error ?? 'see its run folder'}`).join('; '), at: plan.at };
    stopBeat();
    unregister();
    const seconds = (Date.now() - started) / 1000;
    results.finished = new Date().toISOString();
    results.seconds = seconds;
    delete results.owner;
    saveResults();
    if (results.status === 'completed') writeFileAtomic(join(runDir, 'state.json'), JSON.stringify({ runId, seeds, completed: true }));
    if (!parent) {
        sink.emit({ type: 'run-end', status: results.status as 'completed' | 'failed' | 'cancelled', results: join(runDir, 'results.json'), ...(results.error ? { error: results.error } : {}), seconds });
    } else if (results.status === 'failed') log('error', results.error?.message ?? 'failed', results.error?.at);
    return { status: results.status as RunOutcome['status'], runDir, results };
}

/** Log lines for the spread of the gains: which are significant, and negative transfer that is. */
function reportSpread(plan: ExperimentPlan, results: RunResults, log: (level: 'info' | 'warning', message: string, at?: ExperimentPlan['at']) => void): void {
    const s = results.seeds!;
    const n = s.runs.filter((r) => r.status === 'completed').length;
    for (const [kind, bySplit] of Object.entries(s.transferGain ?? {}) as [BaselineKind, NonNullable<SeedsSummary['transferGain']>[BaselineKind]][]) {
        for (const [split, gains] of Object.entries(bySplit ?? {})) {
            const entries = Object.entries(gains);
            const text = (list: typeof entries) => list.map(([metric, g]) => `${metric} ${formatSpread(g, 4, true)}`).join(', ');
            const against = `on ${split} against the baseline ${BASELINE_WORDS[kind]}, over ${entries[0]?.[1].n ?? 0} seeds`;
            const weak = entries.filter(([, g]) => g.significant === false);
            if (weak.length) log('info', `gain ${against}: ${text(weak)}: not significant (smaller than its spread)`, plan.backbone.at);
            const negative = entries.filter(([, g]) => kind === 'scratch' && g.mean < 0 && g.significant === true);
            if (negative.length) log('warning', `negative transfer ${against}: ${text(negative)}; check that the source task is related, unfreeze more layers or lower the learning rate`, plan.backbone.at);
        }
    }
    if (n < s.values.length) log('warning', `only ${n} of ${s.values.length} seeds completed; the spread is over those`);
}
