// Builds experiment plans from a validated Langium workspace: every default resolved, every path
// absolute, every construct tagged with the spec line it came from. This is the only place that
// reads the AST on behalf of the runtime; past here everything is plain data.

import { defaultMetric } from '../../core/metrics.js';
import { metricPlanOf } from '../validation/metric-facts.js';
import { DEFAULT_OPTIMIZER } from '../../core/rules/optimizer.js';
import { resolveSpecPath } from '../workspace/spec-paths.js';
import { freezeOpOf } from './freeze-ops.js';
// The validator's readings of a declaration, so the plan and the diagnostics agree on what a spec says.
import { shotsOf, sourceOf, splitPropOf, taskOf } from '../validation/dataset-facts.js';
import { activationFor, headsOf, lossOf, outputOf } from '../validation/experiment-facts.js';
import { DEFAULT_LOSS, lossFits, lossPlan, type Activation } from '../../core/losses.js';
import { AstUtils, type AstNode, type LangiumDocument } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import * as ast from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { collectGraftFiles, loadWorkspace } from '../workspace/load-workspace.js';
import type { PlanDiagnostic } from '../../core/plan/selection.js';
import type { BackboneDescription } from '../../core/zoo/catalog-types.js';
import { applyFreezeOps, FreezeError, initialMask, trainableParams } from '../../core/plan/freezing.js';
import type {
    AugmentPlan, BackbonePlan, BaselineKind, DatasetPlan, EvaluatePlan, ExperimentPlan, FreezeOp, HeadLayerPlan, HeadPlan, LossPlan,
    MetricPlan, OptimizerPlan, OutputHeadPlan, SchedulePlan, SpecLoc, StagePlan, SweepPlan, ThresholdPlan
} from '../../core/plan/types.js';

export type { PlanDiagnostic };

export interface PlanSet {
    experiments: Map<string, ExperimentPlan>;
    sweeps: Map<string, SweepPlan>;
    /** Validation diagnostics of the whole workspace. */
    diagnostics: PlanDiagnostic[];
}

/** Thrown when a plan cannot be built; `at` names the spec line. */
export class PlanError extends Error {
    constructor(message: string, readonly at?: SpecLoc) {
        super(message);
    }
}

export function locOf(node: AstNode): SpecLoc {
    const doc = AstUtils.getDocument(node);
    const start = node.$cstNode?.range.start ?? { line: 0, character: 0 };
    return { file: doc.uri.fsPath, line: start.line + 1, column: start.character + 1 };
}

/** A spec path for the plan: plans are built from files on disk, so a relative path always resolves. */
function specPath(node: AstNode, path: string): string {
    return resolveSpecPath(node, path) ?? path;
}

function toDiagnostic(doc: LangiumDocument, d: Diagnostic): PlanDiagnostic {
    return {
        file: doc.uri.fsPath,
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        severity: d.severity === 1 ? 'error' : 'warning',
        code: typeof d.code === 'string' ? d.code : d.code !== undefined ? String(d.code) : (d.data as { code?: string } | undefined)?.code,
        message: d.message
    };
}

// ------------------------------------------------------------------ datasets

function first<T extends AstNode>(items: readonly AstNode[], guard: (n: unknown) => n is T): T | undefined {
    return items.find(guard) as T | undefined;
}

export function planDataset(ds: ast.Dataset): DatasetPlan {
    const props = ds.props;
    const src = sourceOf(ds);
    if (!src) throw new PlanError(`dataset ${ds.name} has no source`, locOf(ds));
    let source: DatasetPlan['source'];
    if (ast.isFolderSource(src)) source = { kind: 'folder', dir: specPath(src, src.path), ...(src.splits.length ? { splits: [...src.splits] } : {}) };
    else if (ast.isCsvSource(src)) source = { kind: 'csv', file: specPath(src, src.path), images: specPath(src, src.images) };
    else if (ast.isIdxSource(src)) source = { kind: 'idx', dir: specPath(src, src.path) };
    else source = { kind: 'mnist' };

    const digitSource = source.kind === 'mnist' || source.kind === 'idx';
    const image = first(props, ast.isImageProp);
    const classes = first(props, ast.isClassesProp);
    const split = splitPropOf(ds);
    const augment: AugmentPlan = {};
    for (const op of first(props, ast.isAugmentBlock)?.ops ?? []) {
        if (ast.isFlipOp(op)) augment.flip = op.direction;
        else augment[op.kind] = op.value;
    }
    let classList: string[] | undefined;
    if (classes?.range) {
        classList = [];
        for (let c = classes.range.from; c <= classes.range.to; c++) classList.push(String(c));
    } else if (classes?.names.length) {
        classList = [...classes.names];
    }
    return {
        name: ds.name,
        at: locOf(ds),
        source,
        task: taskOf(ds),
        ...(classList ? { classes: classList } : {}),
        // Without an `image` statement: MNIST-format data keeps its 28×28 grayscale; pictures get
        // the 224×224 RGB that the zoo backbones were published for.
        image: image
            ? { height: image.height, width: image.width, channels: image.color === 'grayscale' ? 1 : 3 }
            : digitSource ? { height: 28, width: 28, channels: 1 } : { height: 224, width: 224, channels: 3 },
        normalize: first(props, ast.isNormalizeProp)?.mode ?? 'unit',
        ...(split ? { split: Object.fromEntries(split.parts.map((p) => [p.split, p.percent / 100])) } : {}),
        stratified: split?.stratified ?? false,
        ...(shotsOf(ds) !== undefined ? { shots: shotsOf(ds)! } : {}),
        augment,
        balance: first(props, ast.isBalanceProp)?.mode ?? 'none'
    };
}

// ------------------------------------------------------------------ experiments

function optimizerPlan(o: ast.OptimizerProp): OptimizerPlan {
    switch (o.kind) {
        case 'sgd': return { kind: 'sgd', lr: o.lr, momentum: o.momentum ?? 0, nesterov: o.nesterov };
        case 'adam': return { kind: 'adam', lr: o.lr };
        case 'adamw': return { kind: 'adamw', lr: o.lr, decay: o.decay ?? 0.01 };
        case 'rmsprop': return { kind: 'rmsprop', lr: o.lr, momentum: o.momentum ?? 0 };
    }
}

function schedulePlan(s: ast.ScheduleProp): SchedulePlan {
    switch (s.kind) {
        case 'constant': return { kind: 'constant' };
        case 'step': return { kind: 'step', every: s.every ?? 1, factor: s.factor ?? 0.1 };
        case 'cosine': return { kind: 'cosine', warmup: s.warmup ?? 0 };
        case 'one_cycle': return { kind: 'one_cycle' };
        case 'plateau': return { kind: 'plateau', patience: s.patience ?? 2, factor: s.factor ?? 0.1 };
    }
}

/** The experiment's `loss` applies to each head it fits; other heads get their activation's default. */
function lossFor(activation: Activation, declared: ast.LossProp | undefined): LossPlan {
    // The grammar's `loss` rule is generated from the registry, so the AST has one property per option.
    if (declared && lossFits(declared.kind, activation)) return lossPlan(declared.kind, declared as unknown as Record<string, number | undefined>);
    return lossPlan(DEFAULT_LOSS[activation], {});
}

function headLayerPlan(l: Exclude<ast.HeadLayer, ast.OutputLayer>): HeadLayerPlan {
    switch (l.$type) {
        case 'PoolLayer': return { kind: 'pool', mode: l.mode };
        case 'DenseLayer': return { kind: 'dense', units: l.units, activation: l.activation ?? 'relu' };
        case 'DropoutLayer': return { kind: 'dropout', rate: l.rate };
        case 'BatchnormLayer': return { kind: 'batchnorm' };
    }
}

function headPlan(exp: ast.Experiment, task: DatasetPlan['task']): HeadPlan {
    const heads = headsOf(exp);
    if (heads.length === 0) throw new PlanError(`experiment ${exp.name} has no head`, locOf(exp));
    const proto = heads.find((h) => h.prototypes);
    if (proto) return { kind: 'prototypes', distance: proto.distance ?? 'cosine', at: locOf(proto) };
    const declaredLoss = lossOf(exp);
    const outputs: OutputHeadPlan[] = heads.map((h) => {
        const output = outputOf(h);
        if (!output) throw new PlanError(`the head of ${exp.name} has no output`, locOf(h));
        const activation = output.activation ?? activationFor(task);
        return {
            name: h.name ?? 'main',
            at: locOf(h),
            layers: h.layers.filter((l): l is Exclude<ast.HeadLayer, ast.OutputLayer> => !ast.isOutputLayer(l)).map(headLayerPlan),
            activation,
            ...(output.labels !== undefined ? { labels: output.labels } : {}),
            weight: output.weight ?? 1,
            loss: lossFor(activation, declaredLoss)
        };
    });
    return { kind: 'output', heads: outputs };
}

function evaluatePlan(e: ast.EvaluateProp): EvaluatePlan {
    if (e.episodes !== undefined) return { kind: 'episodes', episodes: e.episodes, way: e.way ?? 5, shot: e.shot ?? 1, query: e.query ?? 15 };
    if (e.test) return { kind: 'test' };
    const ds = e.dataset?.ref;
    if (!ds) throw new PlanError(`unknown dataset ${e.dataset?.$refText ?? ''}`, locOf(e));
    return { kind: 'dataset', dataset: planDataset(ds) };
}

function backbonePlan(exp: ast.Experiment, description: BackboneDescription | undefined): BackbonePlan {
    const b = first(exp.props, (n): n is ast.Backbone => ast.isZooBackbone(n) || ast.isFileBackbone(n) || ast.isExperimentBackbone(n));
    if (!b) throw new PlanError(`experiment ${exp.name} has no backbone`, locOf(exp));
    const common = { at: locOf(b), ...(b.cut ? { cutAt: b.cut.layer } : {}), ...(description ? { description } : {}) };
    if (ast.isZooBackbone(b)) {
        const w = b.weights;
        const weights: Extract<BackbonePlan, { kind: 'zoo' }>['weights'] = !w || w.preset === 'none'
            ? { kind: 'none' }
            : w.preset === 'imagenet'
                ? { kind: 'imagenet' }
                : { kind: 'model_json', location: specPath(w, w.url ?? ''), ...(w.sha256 ? { sha256: w.sha256 } : {}) };
        return {
            kind: 'zoo', arch: b.arch,
            ...(b.alpha !== undefined ? { alpha: b.alpha } : {}),
            ...(b.filters.length ? { filters: [...b.filters] } : {}),
            weights, ...common
        };
    }
    if (ast.isFileBackbone(b)) return { kind: 'file', location: specPath(b, b.path), ...(b.sha256 ? { sha256: b.sha256 } : {}), ...common };
    const ref = b.experiment.ref;
    if (!ref) throw new PlanError(`unknown experiment ${b.experiment.$refText}`, locOf(b));
    return { kind: 'experiment', experiment: ref.name, ...common };
}

/** Experiments whose trained backbones `exp` needs, dependencies first, without repeats. */
function dependenciesOf(exp: ast.Experiment): string[] {
    const order: string[] = [];
    const visiting = new Set<string>();
    const visit = (e: ast.Experiment): void => {
        const b = first(e.props, ast.isExperimentBackbone);
        const dep = b?.experiment.ref;
        if (!dep) return;
        if (visiting.has(dep.name)) throw new PlanError(`experiments ${[...visiting].join(' → ')} → ${dep.name} form a cycle`, locOf(b!));
        visiting.add(dep.name);
        visit(dep);
        visiting.delete(dep.name);
        if (!order.includes(dep.name)) order.push(dep.name);
    };
    visiting.add(exp.name);
    visit(exp);
    return order;
}

interface StageSettings {
    epochs?: number; batch?: number; optimizer?: ast.OptimizerProp; schedule?: ast.ScheduleProp; backboneLr?: number;
    earlyStop?: ast.EarlyStopSetting; checkpoint?: ast.CheckpointSetting; clipNorm?: number;
}

function readSettings(items: readonly AstNode[], into: StageSettings): void {
    for (const item of items) {
        if (ast.isEpochsSetting(item)) into.epochs = item.value;
        else if (ast.isBatchSetting(item)) into.batch = item.value;
        else if (ast.isOptimizerProp(item)) into.optimizer = item;
        else if (ast.isScheduleProp(item)) into.schedule = item;
        else if (ast.isBackboneLr(item)) into.backboneLr = item.lr;
        else if (ast.isEarlyStopSetting(item)) into.earlyStop = item;
        else if (ast.isCheckpointSetting(item)) into.checkpoint = item;
        else if (ast.isClipNormSetting(item)) into.clipNorm = item.value;
    }
}

function stagePlans(exp: ast.Experiment, description: BackboneDescription | undefined): StagePlan[] {
    const train = first(exp.props, ast.isTrainBlock);
    // Settings carry over from one stage to the next; freezing statements accumulate.
    const settings: StageSettings = {};
    readSettings(exp.props, settings);
    readSettings(train?.settings ?? [], settings);
    let batchnorm: StagePlan['batchnorm'] = 'frozen';
    let mask = description ? initialMask(description) : undefined;
    const stages: StagePlan[] = [];
    const emit = (name: string, node: AstNode, stmts: readonly AstNode[]): void => {
        const freeze: FreezeOp[] = [];
        for (const s of stmts.filter(ast.isFreezeStmt)) {
            if (ast.isBatchnormMode(s)) batchnorm = s.mode;
            const op = freezeOpOf(s);
            if (op) freeze.push(op);
        }
        if (description && mask) {
            try {
                mask = applyFreezeOps(description, mask, freeze);
            } catch (err) {
                if (err instanceof FreezeError) throw new PlanError(err.message, locOf(node));
                throw err;
            }
        }
        const stage: StagePlan = {
            name,
            at: locOf(node),
            epochs: settings.epochs ?? 10,
            batch: settings.batch ?? 32,
            optimizer: settings.optimizer ? optimizerPlan(settings.optimizer) : { ...DEFAULT_OPTIMIZER },
            ...(settings.backboneLr !== undefined ? { backboneLr: settings.backboneLr } : {}),
            schedule: settings.schedule ? schedulePlan(settings.schedule) : { kind: 'constant' },
            ...(settings.earlyStop ? { earlyStop: { monitor: settings.earlyStop.monitor, patience: settings.earlyStop.patience, minDelta: settings.earlyStop.minDelta ?? 0 } } : {}),
            ...(settings.checkpoint ? { checkpoint: { monitor: settings.checkpoint.monitor } } : {}),
            ...(settings.clipNorm !== undefined ? { clipNorm: settings.clipNorm } : {}),
            freeze,
            batchnorm
        };
        if (description && mask) {
            stage.trainableLayers = description.layers.filter((_, i) => mask![i]).map((l) => l.name);
            stage.trainableParams = trainableParams(description, mask);
        }
        stages.push(stage);
    };
    emit('train', train ?? exp, exp.props);
    for (const stage of exp.props.filter(ast.isStage)) {
        readSettings(stage.items, settings);
        emit(stage.name, stage, stage.items);
    }
    return stages;
}

export function planExperiment(exp: ast.Experiment, services: GraftServices): ExperimentPlan {
    const dataRef = first(exp.props, ast.isDataProp);
    const ds = dataRef?.dataset.ref;
    if (!ds) throw new PlanError(dataRef ? `unknown dataset ${dataRef.dataset.$refText}` : `experiment ${exp.name} has no data`, locOf(dataRef ?? exp));
    const data = planDataset(ds);
    const described = services.layers.BackboneLayers.describeExperiment(exp);
    const description = described.ok ? described.description : undefined;
    const head = headPlan(exp, data.task);
    const adapt = first(exp.props, ast.isAdaptProp);
    const threshold = first(exp.props, ast.isThresholdProp);
    const exportProp = first(exp.props, ast.isExportProp);
    const metrics = exp.props.filter(ast.isMetricsProp).flatMap((m) => m.metrics.map(metricPlanOf).filter((p): p is MetricPlan => p !== undefined));
    const evaluate = exp.props.filter(ast.isEvaluateProp).map(evaluatePlan);
    if (evaluate.length === 0 && data.split?.test) evaluate.push({ kind: 'test' });
    const seedsProp = first(exp.props, ast.isSeedsProp);
    const seeds = seedsProp ? [...new Set(seedsProp.values)] : undefined;
    let thresholdPlan: ThresholdPlan | undefined;
    if (threshold) thresholdPlan = threshold.tuned ? { kind: 'tuned', perClass: threshold.perClass } : { kind: 'fixed', value: threshold.value ?? 0.5 };
    let adaptTarget: DatasetPlan | undefined;
    if (adapt) {
        const target = adapt.target.ref;
        if (!target) throw new PlanError(`unknown dataset ${adapt.target.$refText}`, locOf(adapt));
        adaptTarget = planDataset(target);
    }
    return {
        planVersion: 1,
        experiment: exp.name,
        at: locOf(exp),
        data,
        backbone: backbonePlan(exp, description),
        head,
        stages: head.kind === 'prototypes' ? [] : stagePlans(exp, description),
        ...(adapt && adaptTarget ? { adapt: { target: adaptTarget, method: adapt.method, weight: adapt.weight ?? 1, at: locOf(adapt) } } : {}),
        metrics: metrics.length ? metrics : [defaultMetric(data.task)],
        evaluate,
        baselines: [...new Set(exp.props.filter(ast.isBaselineProp).flatMap((b) => b.kinds as BaselineKind[]))],
        ...(thresholdPlan ? { threshold: thresholdPlan } : {}),
        seed: seeds?.[0] ?? first(exp.props, ast.isSeedProp)?.value ?? 0,
        ...(seeds ? { seeds } : {}),
        device: first(exp.props, ast.isDeviceProp)?.device ?? 'auto',
        ...(exportProp ? { export: specPath(exportProp, exportProp.path) } : {}),
        dependsOn: dependenciesOf(exp)
    };
}

export function planSweep(sweep: ast.Sweep): SweepPlan {
    const exp = sweep.experiment.ref;
    if (!exp) throw new PlanError(`unknown experiment ${sweep.experiment.$refText}`, locOf(sweep));
    const trials = first(sweep.items, ast.isTrialsItem);
    const objective = first(sweep.items, ast.isObjectiveItem);
    return {
        planVersion: 1,
        sweep: sweep.name,
        at: locOf(sweep),
        experiment: exp.name,
        vary: sweep.items.filter(ast.isVaryItem).map((v) => ({ param: v.param, values: [...v.values] })),
        ...(trials ? { trials: trials.count } : {}),
        objective: objective ? { direction: objective.direction, monitor: objective.monitor } : { direction: 'max', monitor: 'val_accuracy' }
    };
}

/**
 * Loads the workspace around `paths` (files or folders), validates it, and plans every experiment
 * and sweep. Plans are built even when some other declaration has errors; callers decide whether
 * a diagnostic blocks them (see `blockingErrors`).
 */
export async function buildPlans(paths: string[]): Promise<PlanSet & { planErrors: Map<string, PlanError> }> {
    const files = collectGraftFiles(paths);
    const { services, documents } = await loadWorkspace(files);
    const diagnostics = documents.flatMap((doc) => (doc.diagnostics ?? []).map((d) => toDiagnostic(doc, d)));
    const experiments = new Map<string, ExperimentPlan>();
    const sweeps = new Map<string, SweepPlan>();
    const planErrors = new Map<string, PlanError>();
    for (const doc of documents) {
        for (const el of doc.parseResult.value.elements) {
            try {
                if (ast.isExperiment(el)) experiments.set(el.name, planExperiment(el, services));
                else if (ast.isSweep(el)) sweeps.set(el.name, planSweep(el));
            } catch (err) {
                if (!(err instanceof PlanError)) throw err;
                planErrors.set(el.name, err);
            }
        }
    }
    return { experiments, sweeps, diagnostics, planErrors };
}

/**
 * Errors that stop `name` from running: errors in the files that declare it or anything it
 * depends on (its dataset, adaptation/evaluation datasets, backbone experiments).
 */
export function blockingErrors(set: PlanSet, plan: ExperimentPlan): PlanDiagnostic[] {
    const files = new Set<string>([plan.at.file, plan.data.at.file]);
    if (plan.adapt) files.add(plan.adapt.target.at.file);
    for (const e of plan.evaluate) if (e.kind === 'dataset') files.add(e.dataset.at.file);
    for (const dep of plan.dependsOn) {
        const p = set.experiments.get(dep);
        if (p) {
            files.add(p.at.file);
            files.add(p.data.at.file);
        }
    }
    return set.diagnostics.filter((d) => d.severity === 'error' && files.has(d.file));
}
