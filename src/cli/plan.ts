// `graft plan <file> [--experiment NAME] [--format text|json]`: the resolved plan for review.
// The text is deterministic (no times, no absolute paths outside the spec's folder), so two
// versions of a spec diff cleanly in a pull request.

import { lossText } from '../core/losses.js';
import { metricText } from '../core/metrics.js';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { BaselineKind, DatasetPlan, ExperimentPlan, FreezeOp, OutputHeadPlan, HeadLayerPlan, OptimizerPlan, SchedulePlan, StagePlan } from '../core/plan/types.js';
import type { BackboneDescription } from '../core/zoo/catalog-types.js';

const HELP = `usage: graft plan <file.graft> [--experiment NAME] [--format text|json]

Prints the experiment's resolved plan: data (classes, images per split), backbone (layers,
parameters), for each stage which layers train and how many parameters are trainable, head,
loss, optimizer, schedule, estimated FLOPs per image, and the experiments it depends on.`;

interface DataSummary {
    classes: string[];
    /** Classes per output head (a head's `labels` column may differ from the default). */
    headClasses: string[][];
    images: Partial<Record<'train' | 'val' | 'test', number>>;
    error?: string;
}

async function summarizeData(data: DatasetPlan, seed: number, heads: OutputHeadPlan[]): Promise<DataSummary> {
    try {
        const { loadDataset } = await import('../runtime/data/index.js');
        const ds = await loadDataset(data, { seed, warn: () => undefined, checkHeaders: false });
        try {
            const images: DataSummary['images'] = {};
            for (const s of ds.splitNames) images[s] = ds.size(s);
            const headClasses = heads.map((h) => {
                try {
                    return ds.labelSpace(h.labels).classes;
                } catch {
                    return [];
                }
            });
            return { classes: ds.classes, headClasses, images };
        } finally {
            await ds.close();
        }
    } catch (err) {
        return { classes: data.classes ?? [], headClasses: heads.map(() => data.classes ?? []), images: {}, error: (err as Error).message };
    }
}

const pct = (f: number): string => `${Math.round(f * 1000) / 10}%`;
const num = (n: number): string => n.toLocaleString('en-US');

function optimizerText(o: OptimizerPlan): string {
    switch (o.kind) {
        case 'sgd':
            return `sgd lr ${o.lr}${o.momentum ? ` momentum ${o.momentum}` : ''}${o.nesterov ? ' nesterov' : ''}`;
        case 'adam':
            return `adam lr ${o.lr}`;
        case 'adamw':
            return `adamw lr ${o.lr} decay ${o.decay}`;
        case 'rmsprop':
            return `rmsprop lr ${o.lr}${o.momentum ? ` momentum ${o.momentum}` : ''}`;
    }
}

function scheduleText(s: SchedulePlan): string {
    switch (s.kind) {
        case 'constant':
        case 'one_cycle':
            return s.kind;
        case 'step':
            return `step every ${s.every} factor ${s.factor}`;
        case 'cosine':
            return `cosine warmup ${s.warmup}`;
        case 'plateau':
            return `plateau patience ${s.patience} factor ${s.factor}`;
    }
}


function headLayerText(l: HeadLayerPlan): string {
    switch (l.kind) {
        case 'pool':
            return `pool ${l.mode}`;
        case 'dense':
            return `dense ${l.units} ${l.activation}`;
        case 'dropout':
            return `dropout ${l.rate}`;
        case 'batchnorm':
            return 'batchnorm';
    }
}

/** Compresses a list of trainable layer names into runs of consecutive backbone layers. */
function layerRuns(names: string[], description: BackboneDescription): string {
    if (names.length === 0) return 'none';
    const index = new Map(description.layers.map((l, i) => [l.name, i]));
    // Adjacency over layers with weights; BatchNorm layers that stay fixed do not break a run.
    const training = new Set(names);
    const withParams = description.layers.filter((l) => l.params > 0 && (training.has(l.name) || l.className !== 'BatchNormalization')).map((l) => l.name);
    const pos = new Map(withParams.map((n, i) => [n, i]));
    const runs: string[][] = [];
    for (const n of [...names].sort((a, b) => index.get(a)! - index.get(b)!)) {
        const last = runs[runs.length - 1];
        if (last && pos.get(n)! === pos.get(last[last.length - 1])! + 1) last.push(n);
        else runs.push([n]);
    }
    return runs.map((r) => (r.length === 1 ? r[0] : `${r[0]} … ${r[r.length - 1]} (${r.length})`)).join(', ');
}

function freezeText(f: FreezeOp): string {
    switch (f.op) {
        case 'freeze_all':
            return 'freeze all';
        case 'freeze_none':
            return 'freeze none';
        case 'freeze_until':
            return `freeze until "${f.layer}"`;
        case 'freeze_layers':
            return `freeze layers ${f.from}..${f.to}`;
        case 'freeze_matching':
            return `freeze matching "${f.pattern}"`;
        case 'unfreeze_last':
            return `unfreeze last ${f.count} ${f.unit}`;
        case 'unfreeze_from':
            return `unfreeze from "${f.layer}"`;
    }
}

function stageSettings(s: StagePlan): string {
    const parts = [`epochs ${s.epochs}`, `batch ${s.batch}`, optimizerText(s.optimizer)];
    if (s.backboneLr !== undefined) parts.push(`backbone lr ${s.backboneLr}`);
    parts.push(`schedule ${scheduleText(s.schedule)}`);
    if (s.earlyStop) parts.push(`early_stop ${s.earlyStop.monitor} patience ${s.earlyStop.patience}${s.earlyStop.minDelta ? ` min_delta ${s.earlyStop.minDelta}` : ''}`);
    if (s.checkpoint) parts.push(`checkpoint best ${s.checkpoint.monitor}`);
    if (s.clipNorm !== undefined) parts.push(`clip_norm ${s.clipNorm}`);
    return parts.join(', ');
}

export async function planText(plan: ExperimentPlan, data: DataSummary, base: string): Promise<string> {
    const { stageSummaries, backboneFlops, headParams, isPretrained } = await import('../runtime/train/stage-summary.js');
    const rel = (p: string): string => relative(base, p) || '.';
    const out: string[] = [];
    out.push(`experiment ${plan.experiment}  (${rel(plan.at.file)}:${plan.at.line})`);
    out.push(`depends on: ${plan.dependsOn.length ? plan.dependsOn.join(', ') : 'none'}`);
    const d = plan.data;
    const src = d.source.kind === 'folder' ? `folder ${rel(d.source.dir)}` : d.source.kind === 'csv' ? `csv ${rel(d.source.file)}` : d.source.kind === 'idx' ? `idx ${rel(d.source.dir)}` : 'mnist';
    out.push('', `data ${d.name}: ${src}, ${d.task}, image ${d.image.height}×${d.image.width}×${d.image.channels}, normalize ${d.normalize}`);
    out.push(`  classes (${data.classes.length}): ${data.classes.join(', ')}`);
    if (d.split) out.push(`  split ${Object.entries(d.split).map(([k, v]) => `${k} ${pct(v!)}`).join(', ')}${d.stratified ? ' stratified' : ''}${d.shots ? `, shots ${d.shots} per class` : ''}`);
    out.push(`  images: ${Object.keys(data.images).length ? Object.entries(data.images).map(([k, v]) => `${k} ${v}`).join(', ') : 'unknown'}${data.error ? ` (cannot read: ${data.error})` : ''}`);
    const aug = Object.entries(d.augment).map(([k, v]) => `${k} ${v}`);
    out.push(`  augment: ${aug.length ? aug.join(', ') : 'none'}; balance ${d.balance}`);

    const b = plan.backbone;
    const desc = b.description;
    const what = b.kind === 'zoo' ? `${desc?.label ?? b.arch}, weights ${b.weights.kind === 'model_json' ? b.weights.location : b.weights.kind}` : b.kind === 'file' ? `from ${b.location}` : `the trained backbone of ${b.experiment}`;
    out.push('', `backbone: ${what}${b.cutAt ? `, cut at ${b.cutAt}` : ''}`);
    if (desc) {
        out.push(`  ${desc.layers.length} layers, ${desc.blocks.length} blocks, ${num(desc.params)} parameters; input [${desc.inputShape.join(', ')}]; features ${desc.featureLayer} [${desc.featureShape.join(', ')}]`);
        if (isPretrained(plan) && plan.stages.some((s) => s.batchnorm === 'frozen')) out.push('  batchnorm frozen: BatchNorm layers keep their statistics and do not train');
    } else out.push('  layers unknown at plan time');

    const classes = data.headClasses.map((c) => c.length);
    if (plan.head.kind === 'output') {
        for (const h of plan.head.heads) {
            const layers = [...h.layers.map(headLayerText), `output ${h.activation}${h.labels ? ` labels "${h.labels}"` : ''}`];
            const hp = desc ? headParams(h.layers, desc.featureShape, classes[plan.head.heads.indexOf(h)]).params : undefined;
            const k = classes[plan.head.heads.indexOf(h)];
            out.push('', `head ${h.name}: ${layers.join(' → ')} (${k} outputs${hp !== undefined ? `, ${num(hp)} parameters` : ''})`);
            out.push(`  loss ${lossText(h.loss)}${plan.head.heads.length > 1 ? `, weight ${h.weight}` : ''}`);
        }
    } else out.push('', `head prototypes (${plan.head.distance})`);

    const summaries = stageSummaries(plan, desc, classes);
    plan.stages.forEach((s, i) => {
        const sum = summaries[i];
        out.push('', `stage ${s.name}  (${rel(s.at.file)}:${s.at.line}): ${stageSettings(s)}`);
        if (s.freeze.length) out.push(`  freezing: ${s.freeze.map(freezeText).join('; ')}; batchnorm ${s.batchnorm}`);
        if (sum.error) out.push(`  trains: ${sum.error}`);
        else if (desc) {
            out.push(`  backbone layers that train: ${layerRuns(sum.trainableLayers, desc)}`);
            out.push(`  trainable parameters: ${num(sum.backboneTrainableParams + sum.headParams)} (backbone ${num(sum.backboneTrainableParams)}, head ${num(sum.headParams)})`);
        }
    });

    out.push('', `metrics: ${plan.metrics.map(metricText).join(', ')}`);
    out.push(`evaluate: ${plan.evaluate.length ? plan.evaluate.map((e) => (e.kind === 'test' ? 'on test' : e.kind === 'dataset' ? `on ${e.dataset.name}` : `episodes ${e.episodes} way ${e.way} shot ${e.shot} query ${e.query}`)).join(', ') : 'val only'}`);
    for (const kind of plan.baselines) out.push(`baseline ${kind}: ${baselineText(kind, plan, desc, classes, headParams)}`);
    if (plan.seeds) out.push(`seeds: ${plan.seeds.join(', ')} (the experiment${plan.baselines.length ? ' and its baselines' : ''} once per seed; results report mean ± spread)`);
    if (plan.threshold) out.push(`threshold: ${plan.threshold.kind === 'fixed' ? plan.threshold.value : `tuned${plan.threshold.perClass ? ' per class' : ''}`}`);
    if (plan.adapt) out.push(`adapt to ${plan.adapt.target.name} using ${plan.adapt.method} weight ${plan.adapt.weight}`);
    out.push(`seed ${plan.seed}, device ${plan.device}${plan.export ? `, export ${rel(plan.export)}` : ''}`);
    if (desc && plan.head.kind === 'output') {
        const head = plan.head.heads.reduce((s, h, i) => s + headParams(h.layers, desc.featureShape, classes[i]).flops, 0);
        const flops = backboneFlops(desc) + head;
        out.push(`estimated FLOPs per image (forward): ${flops >= 1e9 ? `${(flops / 1e9).toFixed(2)} G` : `${(flops / 1e6).toFixed(2)} M`}`);
    }
    return `${out.join('\n')}\n`;
}

export async function plan(args: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({ args, allowPositionals: true, options: { experiment: { type: 'string' }, format: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h', default: false } } });
    } catch (err) {
        console.error(`graft plan: ${(err as Error).message}\n\n${HELP}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log(HELP);
        return 0;
    }
    if (parsed.positionals.length !== 1 || !['text', 'json'].includes(parsed.values.format ?? 'text')) {
        console.error(`graft plan: give one .graft file and --format text or json\n\n${HELP}`);
        return 2;
    }
    const { selectPlanOrExit } = await import('../language/plan/workspace-plans.js');
    const selected = await selectPlanOrExit(parsed.positionals[0], parsed.values.experiment);
    if (typeof selected === 'number') return selected;
    const p0 = selected.plan;
    const data = await summarizeData(p0.data, p0.seed, p0.head.kind === 'output' ? p0.head.heads : []);
    if (parsed.values.format === 'json') {
        const { stageSummaries } = await import('../runtime/train/stage-summary.js');
        const p = selected.plan;
        const summary = stageSummaries(p, p.backbone.description, data.headClasses.map((c) => c.length));
        process.stdout.write(`${JSON.stringify({ plan: p, data, stages: summary }, null, 2)}\n`);
    } else process.stdout.write(await planText(selected.plan, data, dirname(selected.specFile)));
    return 0;
}

/** What a baseline trains, in the words `graft plan` prints beside the stages. */
function baselineText(kind: BaselineKind, plan: ExperimentPlan, desc: BackboneDescription | undefined, classes: number[], headParams: (layers: HeadLayerPlan[], featureShape: number[], classes: number) => { params: number }): string {
    if (kind === 'random_features') return 'the same network and freezing from random weights (only the head and the layers the stages unfreeze learn); the gain against it is what the pretrained weights give the frozen layout';
    const all = desc && plan.head.kind === 'output'
        ? ` (${num(desc.params + plan.head.heads.reduce((n, h, i) => n + headParams(h.layers, desc.featureShape, classes[i]).params, 0))} parameters)`
        : '';
    const lr = plan.stages.some((s) => s.backboneLr !== undefined) ? '; `backbone lr` does not apply' : '';
    return `every layer of the same architecture trained from random weights${all} in every stage, with the stages' optimizer, schedule and epochs${lr}; the transfer gain is measured against it`;
}
