// Runs one experiment end to end and records it: dependencies (`backbone <experiment>`) first when
// no up-to-date run exists, then the experiment's stages, evaluation, export, and the scratch
// baseline. Everything lands in runs/<experiment>/<run-id>/ as it happens, so a cancelled or
// failed run keeps what it did, and `--resume` continues from the last completed epoch.

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BaselineKind, ExperimentPlan, SpecLoc } from '../plan/types.js';
import { writeSplitsJson } from '../data/index.js';
import { compileFrozenGraph } from '../backend/frozen-graph.js';
import { metricsOf, predictSplit, type EvalResult } from '../eval/evaluate.js';
import { MisclassifiedCollector } from '../eval/misclassified.js';
import { scalarMetrics, type MetricValues } from '../eval/metrics.js';
import { tuneThresholds } from '../eval/threshold.js';
import { loadBackbone, type BackboneContext } from '../train/backbone.js';
import { loadTrainingData, type LoadedData } from '../train/data-adapter.js';
import { assembleModel, clearFreshBatchNorm, markFreshBatchNorm, SpecError, type AssembledModel } from '../train/model.js';
import { Adaptation } from '../transfer/adapt-step.js';
import { runPrototypes } from '../transfer/prototype-run.js';
import { CancelledError, trainPhase, type PhaseState, type TrainHooks } from '../train/trainer.js';
import { EventSink } from './event-sink.js';
import type { Phase, RunEvent, RunStartEvent } from './events.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from './files.js';
import { loadOptimizerState, loadWeights, saveLayersModel, saveWeights } from './model-io.js';
import { clearGallery, GALLERY_SIZE, writeGallery, type MisclassifiedImage } from './misclassified-gallery.js';
import type { RunResults } from './results.js';
import { cacheKey, findResumable, findUpToDate, newRunId } from './run-dir.js';

export interface RunContext {
    /** Every plan of the workspace (dependencies are looked up here). */
    plans: Map<string, ExperimentPlan>;
    runsRoot: string;
    backend: string;
    /** Weights module hooks (model.json / URL / ImageNet). */
    backboneLoaders: Pick<BackboneContext, 'loadModelJson' | 'applyZooWeights'>;
    cancelled(): boolean;
}

export interface RunOptions {
    /** Print events as JSON lines on stdout. */
    events: boolean;
    resume: boolean;
    /** The run folder to use (one seed of a multi-seed run); default a new one under runs/<experiment>/. */
    runDir?: string;
    /** Extra listeners (the progress bar). */
    listeners?: ((e: RunEvent) => void)[];
}

export interface RunOutcome {
    status: 'completed' | 'failed' | 'cancelled';
    runDir: string;
    results: RunResults;
}

interface RunState {
    runId: string;
    main?: PhaseState;
    mainDone?: boolean;
    mainMetrics?: Record<string, MetricValues>;
    thresholds?: (number[] | undefined)[];
    baselines?: Partial<Record<BaselineKind, PhaseState>>;
}

/** How each baseline is described in logs and warnings. */
export const BASELINE_WORDS: Record<BaselineKind, string> = {
    scratch: 'from scratch (every layer trained from random weights)',
    random_features: 'with random frozen features (the same freezing over a random backbone)'
};

/** Cache keys of an experiment and everything it depends on (a dependency's change invalidates dependents). */
export function keyOf(name: string, plans: Map<string, ExperimentPlan>, memo = new Map<string, string>()): string {
    const known = memo.get(name);
    if (known) return known;
    const plan = plans.get(name);
    if (!plan) throw new Error(`unknown experiment ${name}`);
    const key = cacheKey(plan, plan.dependsOn.map((d) => keyOf(d, plans, memo)));
    memo.set(name, key);
    return key;
}

function phaseDirs(runDir: string, phase: Phase): { last: string; best: string } {
    const tag = phase.replace(/[^A-Za-z0-9_-]/g, '_');
    return { last: join(runDir, 'checkpoint', `last-${tag}`), best: join(runDir, 'checkpoint', `best-${tag}`) };
}

/** Where an error from a spec construct came from, if it says. */
function locOfError(err: unknown): SpecLoc | undefined {
    const at = (err as { at?: SpecLoc }).at;
    return at && typeof at.file === 'string' ? at : undefined;
}

const fmt4 = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));

function transferGain(main: Record<string, MetricValues>, baseline: Record<string, MetricValues>): Record<string, Record<string, number>> {
    const gain: Record<string, Record<string, number>> = {};
    for (const [split, values] of Object.entries(main)) {
        const base = baseline[split];
        if (!base) continue;
        for (const [k, v] of Object.entries(scalarMetrics(values))) {
            const b = base[k];
            if (k === 'loss' || typeof b !== 'number' || !Number.isFinite(v) || !Number.isFinite(b)) continue;
            (gain[split] ??= {})[k] = v - b;
        }
    }
    return gain;
}

/** Model for export: the heads' probabilities (softmax/sigmoid) instead of logits. */
function exportModel(m: AssembledModel): tf.LayersModel {
    const outputs = m.model.outputs.map((o, i) => tf.layers.activation({ activation: m.heads[i].plan.activation, name: `${m.heads[i].plan.name}_probabilities` }).apply(o) as tf.SymbolicTensor);
    return tf.model({ inputs: m.model.inputs, outputs, name: m.model.name });
}

/**
 * A run inside another one, whose events it forwards: a dependency (its stages show under
 * `phase`, its logs prefixed with its name) or one seed of a multi-seed run (events tagged `seed`).
 */
export interface ParentRun {
    sink: EventSink;
    phase?: Phase;
    seed?: number;
}

/** Stages in order with their epoch budget: the dependencies still to train, the experiment, its baselines. */
export function plannedStages(plan: ExperimentPlan, ctx: Pick<RunContext, 'plans' | 'runsRoot'>): RunStartEvent['stages'] {
    const toRun = plan.dependsOn
        .map((dep) => ctx.plans.get(dep))
        .filter((d): d is ExperimentPlan => d !== undefined && !findUpToDate(ctx.runsRoot, d.experiment, keyOf(d.experiment, ctx.plans)));
    return [
        ...toRun.flatMap((d) => [
            ...d.stages.map((s) => ({ phase: `dependency:${d.experiment}` as Phase, name: s.name, epochs: s.epochs })),
            ...d.baselines.flatMap((k) => d.stages.map((s) => ({ phase: `dependency:${d.experiment}` as Phase, name: `${s.name} (baseline ${k})`, epochs: s.epochs })))
        ]),
        ...plan.stages.map((s) => ({ phase: 'main' as Phase, name: s.name, epochs: s.epochs })),
        ...plan.baselines.flatMap((k) => plan.stages.map((s) => ({ phase: `baseline:${k}` as Phase, name: s.name, epochs: s.epochs })))
    ];
}

export async function runExperiment(plan: ExperimentPlan, ctx: RunContext, opts: RunOptions, parent?: ParentRun): Promise<RunOutcome> {
    if (plan.seeds && plan.seeds.length > 0 && !opts.runDir) {
        const { runSeeds } = await import('./seeds.js');
        return runSeeds(plan, ctx, opts, parent);
    }
    const started = Date.now();
    const experimentDir = join(ctx.runsRoot, plan.experiment);
    const resumeDir = opts.runDir
        ? opts.resume && existsSync(join(opts.runDir, 'state.json')) ? opts.runDir : undefined
        : opts.resume ? findResumable(ctx.runsRoot, plan.experiment) : undefined;
    const runDir = resumeDir ?? opts.runDir ?? join(experimentDir, newRunId(experimentDir));
    const runId = runDir.split(/[\\/]/).pop()!;
    const state: RunState = (resumeDir && readJson<RunState>(join(runDir, 'state.json'))) || { runId };
    const resumed = resumeDir !== undefined && (state.main !== undefined || state.mainDone === true);
    mkdirSync(runDir, { recursive: true });

    const sink = new EventSink(runId, opts.events && !parent);
    sink.attach(join(runDir, 'events.ndjson'));
    for (const fn of opts.listeners ?? []) if (!parent) sink.listen(fn);
    // A dependency's progress shows in the parent's stream under phase `dependency:<name>`; a seed's
    // under its own phases, tagged with the seed.
    if (parent) {
        const seedTag = parent.seed !== undefined ? { seed: parent.seed } : {};
        sink.listen((e) => {
            if (e.type === 'stage-start' || e.type === 'epoch' || e.type === 'checkpoint') parent.sink.emit({ ...e, ...(parent.phase ? { phase: parent.phase } : {}), ...seedTag });
            else if (e.type === 'log') parent.sink.emit({ ...e, message: parent.phase ? `${plan.experiment}: ${e.message}` : `seed ${parent.seed}: ${e.message}` });
        });
    }
    const log = (level: 'info' | 'warning' | 'error', message: string, at?: SpecLoc): void => {
        sink.emit({ type: 'log', level, message, ...(at ? { at } : {}) });
    };

    const results: RunResults = readJson<RunResults>(join(runDir, 'results.json')) ?? {
        experiment: plan.experiment, runId, status: 'running', backend: ctx.backend, seed: plan.seed, specFile: plan.at.file,
        started: new Date(started).toISOString(), classes: [], stages: [], metrics: {}, dependencies: [], cacheKey: keyOf(plan.experiment, ctx.plans), skipped: []
    };
    results.status = 'running';
    results.backend = ctx.backend;
    delete results.error;
    const saveResults = (): void => writeJsonAtomic(join(runDir, 'results.json'), results);
    const saveState = (): void => writeJsonAtomic(join(runDir, 'state.json'), state);

    if (opts.resume && !resumeDir) log('info', `nothing to resume for ${plan.experiment} in ${experimentDir}; starting a new run`);
    if (!resumeDir) {
        copyFileSync(plan.at.file, join(runDir, 'spec.graft'));
        writeJsonAtomic(join(runDir, 'plan.json'), plan);
    }
    saveResults();

    let loaded: LoadedData | undefined;
    const models: AssembledModel[] = [];
    try {
        // Dependencies: reuse an up-to-date run, else train it now (its own run folder).
        const depDirs = new Map<string, string>();
        const toRun: ExperimentPlan[] = [];
        results.dependencies = [];
        for (const dep of plan.dependsOn) {
            const depPlan = ctx.plans.get(dep);
            if (!depPlan) throw new SpecError(`experiment ${dep} is not declared in the workspace`, plan.backbone.at);
            const cached = findUpToDate(ctx.runsRoot, dep, keyOf(dep, ctx.plans));
            if (cached) {
                depDirs.set(dep, cached);
                results.dependencies.push({ experiment: dep, runDir: cached, cached: true });
            } else toRun.push(depPlan);
        }

        const stageList = plannedStages(plan, ctx);
        if (!parent) {
            sink.emit({
                type: 'run-start', experiment: plan.experiment, runDir, specFile: plan.at.file, backend: ctx.backend, seed: plan.seed,
                classes: plan.data.classes ?? [], stages: stageList, ...(resumed ? { resumed: true } : {})
            });
        }

        for (const depPlan of toRun) {
            log('info', `training ${depPlan.experiment} first: no up-to-date run of it in ${ctx.runsRoot}`, plan.backbone.at);
            const outcome = await runExperiment(depPlan, ctx, { events: false, resume: opts.resume }, { sink: parent?.sink ?? sink, phase: `dependency:${depPlan.experiment}`, ...(parent?.seed !== undefined ? { seed: parent.seed } : {}) });
            if (outcome.status === 'cancelled') throw new CancelledError();
            if (outcome.status !== 'completed') {
                throw new SpecError(`experiment ${depPlan.experiment}, which this backbone needs, ${outcome.status}: ${outcome.results.error?.message ?? ''} (see ${outcome.runDir})`, plan.backbone.at);
            }
            depDirs.set(depPlan.experiment, outcome.runDir);
            results.dependencies.push({ experiment: depPlan.experiment, runDir: outcome.runDir, cached: false });
        }

        if (plan.head.kind === 'prototypes') {
            // Nothing trains: backbone features → class means of the training split → test metrics and episodes.
            const { model } = await loadBackbone(plan, {
                ...ctx.backboneLoaders,
                experimentBackbone: async (name) => {
                    const dir = depDirs.get(name);
                    if (!dir) throw new SpecError(`no run of ${name} to take the backbone from`, plan.backbone.at);
                    return join(dir, 'backbone', 'model.json');
                }
            }, false);
            try {
                const out = await runPrototypes(plan, model, { warn: (msg) => log('warning', msg, plan.data.at) });
                results.classes = [out.classes];
                results.metrics = out.metrics;
                for (const e of out.episodes) {
                    log('info', `${e.episodes} episodes of ${e.way} way ${e.shot} shot ${e.query} query (${e.distance}): accuracy ${e.accuracy.toFixed(4)} ± ${e.ci95.toFixed(4)} (95% CI)`, plan.head.at);
                }
            } finally {
                model.dispose();
            }
        } else {
            loaded = await loadTrainingData(plan, (msg) => log('warning', msg, plan.data.at));
            const data = loaded.data;
            results.classes = data.classes;
            try {
                await writeSplitsJson(runDir, loaded.datasets);
            } catch (err) {
                log('warning', `splits.json not written: ${(err as Error).message}`);
            }
            const backboneCtx: BackboneContext = {
                ...ctx.backboneLoaders,
                experimentBackbone: async (name) => {
                    const dir = depDirs.get(name);
                    if (!dir) throw new SpecError(`no run of ${name} to take the backbone from`, plan.backbone.at);
                    return join(dir, 'backbone', 'model.json');
                }
            };

            /** The experiment's network, or a baseline's: the same architecture from random weights. */
            const build = async (baseline?: BaselineKind): Promise<AssembledModel> => {
                const scratch = baseline !== undefined;
                const { model, description } = await loadBackbone(plan, backboneCtx, scratch);
                const heads = plan.head.kind === 'output' ? plan.head.heads : [];
                const m = assembleModel(model, plan, (h) => data.classes[heads.indexOf(h)].length, description, scratch ? plan.seed + 1 : plan.seed);
                if (scratch) {
                    m.pretrained = false;
                    m.trainAll = baseline === 'scratch';
                    markFreshBatchNorm(m.backboneLayers);
                }
                // Resuming: the checkpoint holds trained statistics, not initial ones.
                if (baseline ? state.baselines?.[baseline] : state.main) clearFreshBatchNorm(m.model.layers);
                models.push(m);
                return m;
            };

            // ETA: mean epoch time so far × epochs left in this run's phases (early stops make it an upper bound).
            let epochsLeft = plan.stages.reduce((n, st) => n + st.epochs, 0) * (1 + plan.baselines.length);
            let epochSeconds = 0;
            let epochsSeen = 0;
            const hooksFor = (m: AssembledModel, phase: Phase): TrainHooks => {
                const dirs = phaseDirs(runDir, phase);
                return {
                    stageStart: (i) => sink.emit({ type: 'stage-start', phase, stage: i.stage.name, index: i.index, epochs: i.stage.epochs, trainableParams: i.trainableParams }),
                    epoch: (e) => {
                        epochsLeft = Math.max(0, epochsLeft - 1);
                        epochSeconds += e.seconds;
                        epochsSeen++;
                        const eta = Math.round((epochSeconds / epochsSeen) * epochsLeft);
                        sink.emit({ type: 'epoch', phase, stage: e.stage.name, epoch: e.epoch, epochs: e.stage.epochs, metrics: e.metrics, lr: e.lr, seconds: e.seconds, eta });
                    },
                    saveBest: async (b) => {
                        await saveWeights(m.model, dirs.best);
                        sink.emit({ type: 'checkpoint', phase, stage: b.stage.name, epoch: b.epoch, monitor: b.monitor, value: b.value, path: dirs.best });
                        return dirs.best;
                    },
                    loadBest: async () => loadWeights(m.model, dirs.best),
                    loadOptimizer: () => loadOptimizerState(dirs.last),
                    saveState: async (s, optimizer) => {
                        await saveWeights(m.model, dirs.last, optimizer);
                        if (phase === 'main') state.main = s;
                        else if (phase.startsWith('baseline:')) (state.baselines ??= {})[phase.slice('baseline:'.length) as BaselineKind] = s;
                        saveState();
                    },
                    log: (level, message, at) => log(level, message, at),
                    cancelled: ctx.cancelled
                };
            };

            /** `gallery`: also collect each evaluated split's misclassified images (the main model's, single-label). */
            const evaluateAll = async (m: AssembledModel, thresholds?: (number[] | undefined)[], gallery = false): Promise<{ metrics: Record<string, MetricValues>; thresholds?: (number[] | undefined)[]; misclassified?: MisclassifiedImage[] }> => {
                const heads = plan.head.kind === 'output' ? plan.head.heads : [];
                const withGallery = gallery && heads.length === 1 && heads[0].activation === 'softmax';
                const out: Record<string, MetricValues> = {};
                let val: EvalResult | undefined;
                // Training is over: every layer is fixed, so the whole network runs as fused inference ops.
                const graph = compileFrozenGraph(m.model);
                try {
                if (data.val) val = await predictSplit(graph, heads, data.val, 64);
                if (!thresholds && plan.threshold) {
                    thresholds = heads.map((h, i) => {
                        if (h.activation !== 'sigmoid') return undefined;
                        if (plan.threshold!.kind === 'fixed') return new Array<number>(data.classes[i].length).fill(plan.threshold!.value);
                        if (!val) {
                            log('warning', '`threshold tuned` needs a val split; using 0.5');
                            return undefined;
                        }
                        return tuneThresholds(val.heads[i].predictions, plan.threshold!.perClass);
                    });
                }
                if (val) out.val = metricsOf(val, plan.metrics, thresholds);
                let misclassified: MisclassifiedImage[] | undefined;
                if (withGallery) clearGallery(runDir);
                for (const [name, feed] of data.evaluation) {
                    const collector = withGallery && feed.display ? new MisclassifiedCollector(GALLERY_SIZE) : undefined;
                    out[name] = metricsOf(await predictSplit(graph, heads, feed, 64, collector), plan.metrics, thresholds);
                    if (!collector || !feed.display) continue;
                    // The gallery is a view for people: a failure to draw it warns, never fails the run.
                    try {
                        misclassified = [...(misclassified ?? []), ...(await writeGallery(runDir, name, collector.result(), data.classes[0], feed.display))];
                    } catch (err) {
                        log('warning', `misclassified images of ${name} not written: ${(err as Error).message}`);
                    }
                }
                return { metrics: out, thresholds, misclassified };
                } finally {
                    graph.dispose();
                }
            };

            // ---- the experiment itself
            const main = await build();
            if (!state.mainDone) {
                if (state.main) {
                    if (!loadWeights(main.model, phaseDirs(runDir, 'main').last)) throw new Error(`cannot resume: ${phaseDirs(runDir, 'main').last} is missing`);
                    log('info', `resuming ${plan.experiment} at stage ${plan.stages[state.main.stageIndex]?.name ?? '(end)'}, epoch ${state.main.epochsDone + 1}`);
                }
                // `adapt to`: unlabelled target batches beside the source batches (main phase only).
                const adapt = plan.adapt ? await Adaptation.create(plan, main, { trainSize: data.train.size, warn: (msg) => log('warning', msg, plan.adapt!.at) }) : undefined;
                try {
                    results.stages = await trainPhase({ m: main, plan, data, phase: 'main', scratch: false, hooks: hooksFor(main, 'main'), resume: state.main, adapt });
                } finally {
                    await adapt?.close();
                }
                saveResults();
                const evaluated = await evaluateAll(main, undefined, true);
                results.metrics = evaluated.metrics;
                if (evaluated.thresholds) results.thresholds = evaluated.thresholds;
                if (evaluated.misclassified) results.misclassified = evaluated.misclassified;
                else delete results.misclassified;
                const labels = JSON.stringify(plan.head.heads.length === 1 ? data.classes[0] : Object.fromEntries(plan.head.heads.map((h, i) => [h.name, data.classes[i]])), null, 2);
                await saveLayersModel(exportModel(main), join(runDir, 'model'), { 'labels.json': labels });
                await saveLayersModel(main.backbone, join(runDir, 'backbone'));
                if (plan.export) await saveLayersModel(exportModel(main), plan.export, { 'labels.json': labels });
                state.mainDone = true;
                state.mainMetrics = results.metrics;
                state.thresholds = evaluated.thresholds;
                saveState();
                saveResults();
            } else {
                results.metrics = state.mainMetrics ?? results.metrics;
            }

            // ---- the baselines: the same architecture from random weights, same data, splits, stages and seed
            for (const kind of plan.baselines) {
                const phase: Phase = `baseline:${kind}`;
                const base = await build(kind);
                const resumeAt = state.baselines?.[kind];
                if (resumeAt) {
                    if (!loadWeights(base.model, phaseDirs(runDir, phase).last)) throw new Error(`cannot resume: ${phaseDirs(runDir, phase).last} is missing`);
                    log('info', `resuming the ${kind} baseline at stage ${plan.stages[resumeAt.stageIndex]?.name ?? '(end)'}, epoch ${resumeAt.epochsDone + 1}`);
                }
                const stages = await trainPhase({ m: base, plan, data, phase, scratch: true, hooks: hooksFor(base, phase), resume: resumeAt });
                const evaluated = await evaluateAll(base, state.thresholds);
                (results.baselines ??= {})[kind] = { stages, metrics: evaluated.metrics };
                const gains = transferGain(results.metrics, evaluated.metrics);
                (results.transferGain ??= {})[kind] = gains;
                saveResults();
                // Negative transfer is judged against what a user would otherwise do: training from scratch.
                // One seed of several only notes it: the run's summary over all seeds decides.
                if (kind !== 'scratch') continue;
                for (const [split, byMetric] of Object.entries(gains)) {
                    const worse = Object.entries(byMetric).filter(([, g]) => g < 0);
                    if (!worse.length) continue;
                    const detail = worse.map(([k, g]) => `${k} ${fmt4(results.metrics[split][k] as number)} vs ${fmt4(evaluated.metrics[split][k] as number)} (gain ${g.toFixed(4)})`).join(', ');
                    log(parent?.seed !== undefined ? 'info' : 'warning', `negative transfer on ${split}: with the pretrained backbone ${detail} ${BASELINE_WORDS.scratch}; check that the source task is related, unfreeze more layers or lower the learning rate`, plan.backbone.at);
                }
            }
            results.skipped = data.skipped;
        }
        results.status = 'completed';
    } catch (err) {
        if (err instanceof CancelledError) {
            results.status = 'cancelled';
        } else {
            results.status = 'failed';
            const at = locOfError(err);
            results.error = { message: (err as Error).message ?? String(err), ...(at ? { at } : {}) };
            if (process.env.GRAFT_DEBUG) console.error((err as Error).stack);
        }
    } finally {
        for (const m of models) m.model.dispose();
        await loaded?.close().catch(() => undefined);
    }
    const seconds = (Date.now() - started) / 1000;
    results.finished = new Date().toISOString();
    results.seconds = seconds;
    saveResults();
    if (!parent) {
        sink.emit({
            type: 'run-end', status: results.status as 'completed' | 'failed' | 'cancelled', results: join(runDir, 'results.json'),
            ...(results.error ? { error: results.error } : {}), seconds
        });
    } else if (results.status === 'failed') {
        log('error', results.error?.message ?? 'failed', results.error?.at);
    }
    if (results.status === 'completed' && existsSync(join(runDir, 'state.json'))) {
        // A completed run has nothing to resume; keep the checkpoints, drop the resume marker.
        writeFileAtomic(join(runDir, 'state.json'), JSON.stringify({ ...state, completed: true }));
    }
    return { status: results.status as RunOutcome['status'], runDir, results };
}
