// `graft export`: resolves the plan and its dependency runs, refuses what does not translate
// (every refusal names its spec line), materialises data, split and initial weights, and has the
// target write its project. Everything target-independent lives here; a target only renders files.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ExperimentPlan } from '../../core/plan/types.js';
import type { PlanSelector } from '../../core/plan/selection.js';
import { findUpToDate } from '../runs/run-dir.js';
import { keyOf } from '../runs/runner.js';
import { RESULTS_SCHEMA_VERSION, type RunResults } from '../runs/results.js';
import { toPlanFile } from '../runs/plan-file.js';
import { displayPath } from '../../core/display-path.js';
import { materialiseData } from './data-files.js';
import { layerGraph } from './layer-graph.js';
import { ExportRefused, formatRefusal, sharedRefusals, statementAt, where } from './refusals.js';
import { resolveStages } from './stages.js';
import type { ExportContext, ExportTarget, ProjectFile, TargetName } from './types.js';

export interface ExportOptions {
    file: string;
    experiment?: string;
    target: ExportTarget;
    /** Project folder; default `<spec folder>/export/<experiment>-<target>`. */
    out?: string;
    /** A Graft run of the experiment whose splits.json the export must match. */
    run?: string;
    /** Graft's runs folder (dependencies are looked up there; the script writes its run there). */
    runsDir?: string;
    /** Overrides the spec's seed (one seed of `seeds …`). */
    seed?: number;
    warn(message: string): void;
    /** Builds the spec's plan (the language's compiler, given by the caller: the runtime never parses specs). */
    selectPlan: PlanSelector;
}

export interface ExportOutcome {
    outDir: string;
    ctx: ExportContext;
    files: string[];
}

/** Refuses the spec's untranslatable constructs: one `file:line:col: error:` line each. */
export function checkTranslatable(plan: ExperimentPlan, target: TargetName): void {
    const refusals = sharedRefusals(plan);
    if (refusals.length) throw new ExportRefused(refusals.map((r) => formatRefusal(r, target)).join('\n'));
}

/** The backbone's source run when it is another experiment's: the newest completed, up-to-date one. */
function dependencyRun(plan: ExperimentPlan, plans: Map<string, ExperimentPlan>, runsRoot: string): { experiment: string; runDir: string } | undefined {
    if (plan.backbone.kind !== 'experiment') return undefined;
    const dep = plan.backbone.experiment;
    const runDir = findUpToDate(runsRoot, dep, keyOf(dep, plans));
    if (!runDir) {
        throw new ExportRefused(
            `${where(plan.backbone.at)}: error: \`backbone ${dep}\` needs a completed, up-to-date run of ${dep} in ${displayPath(runsRoot)} to take its weights from; run \`graft run ${displayPath(plan.at.file)} --experiment ${plan.experiment}\` (or --experiment ${dep}) first, or pass --runs-dir`
        );
    }
    return { experiment: dep, runDir };
}

function prepareOut(outDir: string): void {
    if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(join(outDir, 'export.json'))) {
        throw new ExportRefused(`--out ${displayPath(outDir)} is a folder with other files in it; give a new or empty folder (or a previous export's, which is overwritten)`);
    }
    mkdirSync(outDir, { recursive: true });
}

export async function exportExperiment(opts: ExportOptions): Promise<ExportOutcome> {
    const selected = await opts.selectPlan(opts.file, opts.experiment);
    let plan = selected.plan;
    if (opts.seed !== undefined) plan = { ...plan, seed: opts.seed, seeds: undefined };
    const target = opts.target;
    checkTranslatable(plan, target.name);
    if (plan.head.kind !== 'output') throw new Error('unreachable: prototypes heads are refused');
    const head = plan.head.heads[0];
    const specDir = dirname(selected.specFile);
    const runsRoot = opts.runsDir ? resolve(opts.runsDir) : join(specDir, 'runs');
    const outDir = resolve(opts.out ?? join(specDir, 'export', `${plan.experiment}-${target.name}`));
    for (const b of plan.baselines) opts.warn(`${where(statementAt(plan.at, 'baseline'))}: warning: \`baseline ${b}\` is not exported (the project trains the experiment itself); compare with the baseline of a local \`graft run\``);
    if (plan.export) opts.warn(`${where(statementAt(plan.at, 'export'))}: warning: \`export "${displayPath(plan.export)}"\` is not reproduced; the script saves its model as model/model.pt in its run folder`);
    const dep = dependencyRun(plan, selected.plans, runsRoot);

    const data = await materialiseData(plan, runsRoot, opts.run, (m) => opts.warn(`${where(plan.data.at)}: warning: ${m}`));

    // The network as Graft builds it: same backbone weights (dependency run, model.json, zoo seed)
    // and the head's seeded initial weights, so both engines start from the same point.
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const { loadBackbone } = await import('../train/backbone.js');
    const { assembleModel } = await import('../train/model.js');
    const { defaultBackboneLoaders } = await import('../runs/weights-bridge.js');
    const loaded = await loadBackbone(
        plan,
        { ...defaultBackboneLoaders(), experimentBackbone: async () => join(dep!.runDir, 'backbone', 'model.json') },
        false
    ).catch((err: Error & { at?: typeof plan.at }) => {
        throw new ExportRefused(`${where(err.at ?? plan.backbone.at)}: error: ${err.message}`);
    });
    const m = assembleModel(loaded.model, plan, () => data.classes.length, loaded.description, plan.seed);
    try {
        const layers = layerGraph(m.model, m.backbone);
        const targetRefusals = target.refusals({ plan, layers });
        if (targetRefusals.length) throw new ExportRefused(targetRefusals.map((r) => formatRefusal(r, target.name)).join('\n'));
        const stages = resolveStages(plan, m.description, layers, m.pretrained);
        const resultsTemplate: RunResults = {
            schemaVersion: RESULTS_SCHEMA_VERSION,
            experiment: plan.experiment,
            runId: '',
            status: 'running',
            backend: target.engine,
            seed: plan.seed,
            specFile: plan.at.file,
            started: '',
            classes: [data.classes],
            stages: [],
            metrics: {},
            dependencies: dep ? [{ experiment: dep.experiment, runDir: dep.runDir, cached: true }] : [],
            cacheKey: keyOf(plan.experiment, selected.plans),
            skipped: data.skipped
        };
        const weightsSource =
            dep ? `the backbone of ${dep.experiment}'s run ${dep.runDir}`
            : plan.backbone.kind === 'file' ? plan.backbone.location
            : plan.backbone.kind === 'zoo' && plan.backbone.weights.kind !== 'none' ? `${plan.backbone.arch} with ${plan.backbone.weights.kind === 'imagenet' ? 'ImageNet weights' : plan.backbone.weights.location}`
            : `${plan.backbone.kind === 'zoo' ? plan.backbone.arch : 'the backbone'} initialised by Graft with seed ${plan.seed}`;
        const ctx: ExportContext = {
            plan, head, classes: data.classes, layers, featureLayer: m.backbone.outputs[0].sourceLayer.name, pretrained: m.pretrained, stages,
            splits: data.splits, trainCounts: data.trainCounts, resultsTemplate, runsRoot, splitSource: data.splitSource, weightsSource,
            specDisplay: displayPath(plan.at.file)
        };
        prepareOut(outDir);
        const files: ProjectFile[] = [
            ...data.files,
            { path: 'plan.json', content: JSON.stringify(toPlanFile(plan), null, 2) + '\n' },
            // Not `.graft`: a project inside the spec's folder must not redeclare the workspace's names.
            { path: 'spec.graft.txt', content: readFileSync(plan.at.file) },
            { path: 'results-template.json', content: JSON.stringify(resultsTemplate, null, 2) + '\n' },
            ...target.files(ctx),
            {
                path: 'export.json',
                content: JSON.stringify({ exportVersion: 1, target: target.name, engine: target.engine, experiment: plan.experiment, seed: plan.seed, specFile: plan.at.file, runsRoot, split: data.splitSource, weights: weightsSource, exported: new Date().toISOString() }, null, 2) + '\n'
            }
        ];
        for (const f of files) {
            const path = join(outDir, f.path);
            mkdirSync(dirname(path), { recursive: true });
            writeFileSync(path, f.content);
        }
        return { outDir, ctx, files: files.map((f) => f.path) };
    } finally {
        m.model.dispose();
    }
}
