// Checks of what trains and how: heads and outputs against the task, loss, optimizer and
// learning rates, schedules, train/stage settings, monitors, evaluation, metrics, thresholds.
import { DEFAULT_OPTIMIZER } from '../../core/rules/optimizer.js';
import { isLearningRate, LR_RANGE } from '../../core/rules/learning-rate.js';
import { DEFAULT_LOSS, inRange, LOSS_KINDS, lossFits, optionsOf, rangeText } from '../../core/losses.js';
import { isMetricKind, METRIC_KINDS, metricInfo } from '../../core/metrics.js';
import type { AstNode, ValidationAcceptor } from 'langium';
import {
    isBackboneLr,
    isBaselineProp,
    isDropoutLayer,
    isOutputLayer,
    isStage,
    isTrainBlock,
    type AdaptProp,
    type BackboneLr,
    type BaselineProp,
    type CheckpointSetting,
    type DenseLayer,
    type DropoutLayer,
    type EarlyStopSetting,
    type EvaluateProp,
    type Experiment,
    type Head,
    type LossProp,
    type MetricsProp,
    type OptimizerProp,
    type ScheduleProp,
    type SeedProp,
    type SeedsProp,
    type Stage,
    type ThresholdProp,
    type TrainSetting
} from '../generated/ast.js';
import { fmt, isNonNegativeInt, isPositiveInt, lineOf, listText, named } from './check-utils.js';
import { Codes, report } from './codes.js';
import { classCounts, datasetCsv, imagesPerClassIn, sourceOf, splitsOf, taskOf, type SplitName } from './dataset-facts.js';
import { activationFor, datasetOf, firstStageLr, headsOf, isPrototypes, lossOf, optimizerOf, outputTask, outputsOf } from './experiment-facts.js';
import { labelColumns } from './disk-facts.js';
import { parseMonitor } from './monitors.js';

function experimentOf(node: AstNode): Experiment | undefined {
    let current: AstNode | undefined = node;
    while (current && current.$type !== 'Experiment') current = current.$container;
    return current as Experiment | undefined;
}

function describeSplits(splits: ReadonlySet<SplitName>): string {
    return splits.size === 0 ? 'it has no `split` (all data is one pool)' : `its splits are ${[...splits].join(', ')}`;
}

export class TrainingChecks {
    // ------------------------------------------------------------------ heads

    checkHead = (head: Head, accept: ValidationAcceptor): void => {
        if (head.prototypes) return;
        const output = head.layers.find(isOutputLayer);
        const experiment = head.$container;
        const dataset = datasetOf(experiment);
        if (!output) {
            const last = head.layers[head.layers.length - 1];
            const suggestion = activationFor(dataset ? taskOf(dataset) : 'single_label');
            report(
                accept,
                'error',
                Codes.missingOutput,
                `head${head.name ? ` '${head.name}'` : ''} has no output: end it with \`output ${suggestion}\` (units = number of classes)`,
                last ? { node: last as AstNode } : { node: head as AstNode, keyword: 'head' },
                { suggestion }
            );
            return;
        }
        const outputIndex = head.layers.indexOf(output);
        head.layers.slice(outputIndex + 1).forEach((layer) => {
            if (isOutputLayer(layer)) return; // a second output is a duplicate-statement
            report(accept, 'error', Codes.headOrder, '`output` is the last layer of a head; move this layer before it', { node: layer });
        });
        if (output.weight !== undefined && !(output.weight > 0)) {
            report(accept, 'error', Codes.range, `a head's loss weight must be more than 0, not ${fmt(output.weight)}`, { node: output, property: 'weight' });
        }
        if (output.labels !== undefined) this.checkLabelsColumn(head, accept);
        const task = outputTask(output, dataset);
        if (task && output.activation !== undefined && output.activation !== activationFor(task)) {
            const what = output.labels !== undefined ? `column "${output.labels}" is ${task === 'multi_label' ? 'multi-label' : 'single-label'}` : `${named('dataset', dataset?.name)} is ${task}`;
            const why = task === 'multi_label' ? 'multi-label data needs `sigmoid` (one independent probability per class)' : 'single-label data needs `softmax` (one class per image)';
            report(accept, 'error', Codes.taskActivation, `${why}; ${what}`, { node: output, property: 'activation' }, { suggestion: activationFor(task) });
        }
    };

    private checkLabelsColumn(head: Head, accept: ValidationAcceptor): void {
        const output = head.layers.find(isOutputLayer);
        const dataset = datasetOf(head.$container);
        if (!output || output.labels === undefined || !dataset) return;
        const source = sourceOf(dataset);
        if (source && source.$type !== 'CsvSource') {
            report(accept, 'error', Codes.headLabels, `\`labels\` picks a CSV column, but ${named('dataset', dataset.name)} is not a CSV`, { node: output, property: 'labels' });
            return;
        }
        const csv = datasetCsv(dataset);
        if (csv && !labelColumns(csv).includes(output.labels)) {
            report(accept, 'error', Codes.headLabels, `the CSV has no label column "${output.labels}"; its label columns are ${labelColumns(csv).join(', ')}`, { node: output, property: 'labels' });
        }
    }

    checkDense = (dense: DenseLayer, accept: ValidationAcceptor): void => {
        if (dense.units !== undefined && !isPositiveInt(dense.units)) {
            report(accept, 'error', Codes.intRequired, `dense units must be a positive whole number, not ${fmt(dense.units)}`, { node: dense, property: 'units' });
        }
    };

    checkDropout = (dropout: DropoutLayer, accept: ValidationAcceptor): void => {
        if (dropout.rate !== undefined && !(dropout.rate >= 0 && dropout.rate < 1)) {
            report(accept, 'error', Codes.range, `dropout rate must be in [0, 1), not ${fmt(dropout.rate)}`, { node: dropout, property: 'rate' });
        }
    };

    // ------------------------------------------------------------------ loss and optimizer

    checkLoss = (loss: LossProp, accept: ValidationAcceptor): void => {
        const experiment = loss.$container;
        if (loss.kind === undefined) return;
        if (isPrototypes(experiment)) {
            report(accept, 'warning', Codes.optionMismatch, '`head prototypes` does not train, so this loss is not used', { node: loss, keyword: 'loss' });
            return;
        }
        // Each option's range comes from the loss registry (src/core/losses.ts).
        const values = loss as unknown as Record<string, number | undefined>;
        for (const [name, option] of optionsOf(loss.kind)) {
            const v = values[name];
            if (v !== undefined && !inRange(option, v)) report(accept, 'error', Codes.range, `${option.label} must be ${rangeText(option)}, not ${fmt(v)}`, { node: loss, property: name as never });
        }
        const output = outputsOf(experiment).find((o) => !lossFits(loss.kind, o.activation));
        if (output) {
            const clash = output.activation;
            const fitting = LOSS_KINDS.filter((k) => lossFits(k, clash));
            // Swapping the loss is the obvious fix only when every output has that activation and
            // no option of the current loss would be left behind.
            const simpleSwap = outputsOf(experiment).every((o) => o.activation === clash) && optionsOf(loss.kind).every(([name]) => values[name] === undefined);
            const fits = [DEFAULT_LOSS[clash], ...fitting.filter((k) => k !== DEFAULT_LOSS[clash])];
            const use = fits.length > 1 ? `${fits[0]} (or ${fits.slice(1).join(', ')})` : fits[0];
            report(accept, 'error', Codes.lossTask, `\`${loss.kind}\` does not fit the \`${clash}\` output on line ${lineOf(output)}; use ${use}`, { node: loss, property: 'kind' }, simpleSwap ? { suggestion: DEFAULT_LOSS[clash] } : {});
        }
    };

    checkOptimizer = (optimizer: OptimizerProp, accept: ValidationAcceptor): void => {
        if (optimizer.kind === undefined || optimizer.lr === undefined) return;
        this.checkLr(optimizer, optimizer.lr, accept);
        const experiment = experimentOf(optimizer);
        if (experiment && isPrototypes(experiment) && optimizer.$container === experiment) {
            report(accept, 'warning', Codes.optionMismatch, '`head prototypes` does not train, so this optimizer is not used', { node: optimizer, keyword: 'optimizer' });
        }
        if (optimizer.momentum !== undefined) {
            if (optimizer.kind !== 'sgd' && optimizer.kind !== 'rmsprop') {
                report(accept, 'error', Codes.optionMismatch, `\`momentum\` belongs to sgd and rmsprop, not ${optimizer.kind}`, { node: optimizer, keyword: 'momentum' });
            } else if (!(optimizer.momentum >= 0 && optimizer.momentum < 1)) {
                report(accept, 'error', Codes.range, `momentum must be in [0, 1), not ${fmt(optimizer.momentum)}`, { node: optimizer, property: 'momentum' });
            }
        }
        if (optimizer.nesterov && optimizer.kind !== 'sgd') {
            report(accept, 'error', Codes.optionMismatch, `\`nesterov\` belongs to sgd, not ${optimizer.kind}`, { node: optimizer, keyword: 'nesterov' });
        }
        if (optimizer.decay !== undefined) {
            if (optimizer.kind !== 'adamw') {
                report(accept, 'error', Codes.optionMismatch, `\`decay\` (decoupled weight decay) belongs to adamw, not ${optimizer.kind}`, { node: optimizer, keyword: 'decay' });
            } else if (!(optimizer.decay >= 0 && optimizer.decay < 1)) {
                report(accept, 'error', Codes.range, `weight decay must be in [0, 1), not ${fmt(optimizer.decay)}`, { node: optimizer, property: 'decay' });
            }
        }
        if (isStage(optimizer.$container)) this.checkFinetuneLr(optimizer, optimizer.lr, accept);
    };

    checkBackboneLr = (backboneLr: BackboneLr, accept: ValidationAcceptor): void => {
        if (backboneLr.lr === undefined) return;
        this.checkLr(backboneLr, backboneLr.lr, accept);
        if (isStage(backboneLr.$container)) this.checkFinetuneLr(backboneLr, backboneLr.lr, accept);
    };

    private checkLr(node: OptimizerProp | BackboneLr, lr: number, accept: ValidationAcceptor): void {
        if (!isLearningRate(lr)) {
            report(accept, 'error', Codes.lrRange, `learning rate ${fmt(lr)} is outside ${LR_RANGE}; typical values are 1e-2 … 1e-5`, { node, property: 'lr' } as never);
        }
    }

    /** A fine-tuning stage should learn more gently than the first stage did (Keras' recipe). */
    private checkFinetuneLr(node: OptimizerProp | BackboneLr, lr: number, accept: ValidationAcceptor): void {
        const experiment = experimentOf(node);
        if (!experiment || !(lr > 0 && lr <= 1)) return;
        const experimentBackboneLr = experiment.props.find(isBackboneLr)?.lr;
        const first = isBackboneLr(node) ? experimentBackboneLr ?? firstStageLr(experiment) : firstStageLr(experiment);
        if (lr >= first) {
            const what = isBackboneLr(node) ? 'backbone lr' : 'learning rate';
            report(
                accept,
                'warning',
                Codes.finetuneLr,
                `fine-tuning ${what} ${fmt(lr)} is not lower than the first stage's ${fmt(first)}; unfrozen pretrained layers usually need a 10–100× lower rate`,
                { node, property: 'lr' } as never,
                { suggestion: fmt(first * 0.1) }
            );
        }
    }

    checkSchedule = (schedule: ScheduleProp, accept: ValidationAcceptor): void => {
        if (schedule.every !== undefined && !isPositiveInt(schedule.every)) {
            report(accept, 'error', Codes.intRequired, `\`every\` counts epochs: a positive whole number, not ${fmt(schedule.every)}`, { node: schedule, property: 'every' });
        }
        if (schedule.patience !== undefined && !isPositiveInt(schedule.patience)) {
            report(accept, 'error', Codes.intRequired, `patience counts epochs: a positive whole number, not ${fmt(schedule.patience)}`, { node: schedule, property: 'patience' });
        }
        if (schedule.warmup !== undefined && !isNonNegativeInt(schedule.warmup)) {
            report(accept, 'error', Codes.intRequired, `warmup counts epochs: a whole number, not ${fmt(schedule.warmup)}`, { node: schedule, property: 'warmup' });
        }
        if (schedule.factor !== undefined && !(schedule.factor > 0 && schedule.factor < 1)) {
            report(accept, 'error', Codes.range, `the factor multiplies the learning rate and must be in (0, 1), not ${fmt(schedule.factor)}`, { node: schedule, property: 'factor' });
        }
    };

    // ------------------------------------------------------------------ train and stages

    checkTrainSetting = (setting: TrainSetting, accept: ValidationAcceptor): void => {
        switch (setting.$type) {
            case 'EpochsSetting':
            case 'BatchSetting':
                if (setting.value !== undefined && !isPositiveInt(setting.value)) {
                    const what = setting.$type === 'EpochsSetting' ? 'epochs' : 'batch';
                    report(accept, 'error', Codes.intRequired, `${what} must be a positive whole number, not ${fmt(setting.value)}`, { node: setting, property: 'value' });
                }
                break;
            case 'ClipNormSetting':
                if (setting.value !== undefined && !(setting.value > 0)) {
                    report(accept, 'error', Codes.range, `clip_norm must be more than 0, not ${fmt(setting.value)}`, { node: setting, property: 'value' });
                }
                break;
            case 'EarlyStopSetting':
                if (setting.patience !== undefined && !isNonNegativeInt(setting.patience)) {
                    report(accept, 'error', Codes.intRequired, `patience counts epochs: a whole number, not ${fmt(setting.patience)}`, { node: setting, property: 'patience' });
                }
                this.checkMonitor(setting, accept);
                break;
            case 'CheckpointSetting':
                this.checkMonitor(setting, accept);
                break;
        }
    };

    private checkMonitor(setting: EarlyStopSetting | CheckpointSetting, accept: ValidationAcceptor): void {
        const experiment = experimentOf(setting);
        checkMonitorOn(experiment ? datasetOf(experiment) : undefined, setting.monitor, accept, setting);
    }

    checkStage = (stage: Stage, accept: ValidationAcceptor): void => {
        if (isPrototypes(stage.$container)) {
            report(accept, 'warning', Codes.optionMismatch, '`head prototypes` does not train, so this stage does nothing', { node: stage, keyword: 'stage' });
        }
    };

    checkExperiment = (experiment: Experiment, accept: ValidationAcceptor): void => {
        if (!isPrototypes(experiment)) return;
        const train = experiment.props.find(isTrainBlock);
        if (train) report(accept, 'warning', Codes.optionMismatch, '`head prototypes` does not train, so this train block is not used', { node: train, keyword: 'train' });
    };

    // ------------------------------------------------------------------ evaluation and the rest

    checkEvaluate = (evaluate: EvaluateProp, accept: ValidationAcceptor): void => {
        const dataset = datasetOf(evaluate.$container);
        if (evaluate.test) {
            if (dataset && !splitsOf(dataset).has('test')) {
                report(accept, 'error', Codes.evaluateSplit, `${named('dataset', dataset.name)} has no test split (${describeSplits(splitsOf(dataset))}); add test to its \`split\` or evaluate on another dataset`, {
                    node: evaluate,
                    keyword: 'test'
                });
            }
            return;
        }
        if (evaluate.episodes === undefined) return;
        let integral = true;
        for (const property of ['episodes', 'way', 'shot', 'query'] as const) {
            const value = evaluate[property];
            if (value !== undefined && !isPositiveInt(value)) {
                integral = false;
                report(accept, 'error', Codes.intRequired, `${property} must be a positive whole number, not ${fmt(value)}`, { node: evaluate, property });
            }
        }
        if (!integral || !dataset) return;
        const split: SplitName = splitsOf(dataset).has('test') ? 'test' : 'train';
        const perClass = imagesPerClassIn(dataset, split);
        const classes = classCounts(dataset, split);
        const way = evaluate.way ?? 0;
        if (classes && way > classes.classes.length) {
            report(accept, 'error', Codes.episodes, `way ${way} needs ${way} classes, but ${named('dataset', dataset.name)} has ${classes.classes.length}`, { node: evaluate, property: 'way' });
        }
        if (perClass && perClass.size > 0) {
            const [smallest, count] = [...perClass.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
            const needed = (evaluate.shot ?? 0) + (evaluate.query ?? 0);
            if (needed > count) {
                const where = split === 'test' && splitsOf(dataset).has('test') ? ' in the test split' : '';
                report(accept, 'error', Codes.episodes, `shot + query = ${needed} images per class, but class '${smallest}' has at most ${count}${where}`, { node: evaluate, property: 'query' });
            }
        }
    };

    /** Each entry against the metric registry: its averaging, its number, and the tasks it is defined for. */
    checkMetrics = (metrics: MetricsProp, accept: ValidationAcceptor): void => {
        const experiment = metrics.$container;
        const dataset = datasetOf(experiment);
        const outputs = outputsOf(experiment);
        const tasks = new Set(outputs.length ? outputs.map((o) => outputTask(o, dataset)).filter((t) => t !== undefined) : dataset ? [taskOf(dataset)] : []);
        const averaged = METRIC_KINDS.filter((k) => metricInfo(k).averaged);
        metrics.metrics.forEach((metric, index) => {
            if (!isMetricKind(metric.kind)) return;
            const info = metricInfo(metric.kind);
            if (metric.average && !info.averaged) {
                report(accept, 'error', Codes.optionMismatch, `\`${metric.average}\` averaging belongs to ${listText(averaged)}, not ${metric.kind}`, {
                    node: metrics,
                    property: 'metrics',
                    index
                });
            }
            if (tasks.size > 0 && !info.tasks.some((t) => tasks.has(t))) {
                const task = [...tasks][0] === 'multi_label' ? 'multi-label' : 'single-label';
                report(accept, 'warning', Codes.optionMismatch, `${metric.kind} is defined for ${info.tasks.map((t) => t.replace('_', '-')).join(' and ')} data only, so it is not computed for this ${task} experiment; remove it`, {
                    node: metrics,
                    property: 'metrics',
                    index
                });
            }
            if (info.param && metric.k !== undefined) {
                const name = info.param.name;
                if (!isPositiveInt(metric.k)) {
                    report(accept, 'error', Codes.intRequired, `${metric.kind} ${name} needs a positive whole number, not ${fmt(metric.k)}`, { node: metric, property: 'k' });
                    return;
                }
                const classes = dataset ? classCounts(dataset) : undefined;
                if (classes && classes.classes.length > 0 && metric.k > classes.classes.length) {
                    report(accept, 'error', Codes.range, `${metric.kind} ${metric.k} needs at least ${metric.k} classes; the data has ${classes.classes.length}`, { node: metric, property: 'k' });
                }
            }
        });
    };

    checkThreshold = (threshold: ThresholdProp, accept: ValidationAcceptor): void => {
        if (threshold.value !== undefined && !(threshold.value > 0 && threshold.value < 1)) {
            report(accept, 'error', Codes.range, `a decision threshold must be in (0, 1), not ${fmt(threshold.value)}`, { node: threshold, property: 'value' });
        }
        const experiment = threshold.$container;
        const heads = headsOf(experiment);
        if (heads.length > 0 && !outputsOf(experiment).some((o) => o.activation === 'sigmoid')) {
            report(accept, 'error', Codes.optionMismatch, '`threshold` applies to multi-label (sigmoid) outputs; this experiment has none', { node: threshold, keyword: 'threshold' });
        }
    };

    checkAdapt = (adapt: AdaptProp, accept: ValidationAcceptor): void => {
        if (adapt.weight !== undefined && !(adapt.weight >= 0)) {
            report(accept, 'error', Codes.range, `the adaptation weight must be 0 or more, not ${fmt(adapt.weight)}`, { node: adapt, property: 'weight' });
        }
        if (isPrototypes(adapt.$container)) {
            report(accept, 'error', Codes.optionMismatch, '`adapt` aligns features while training, but `head prototypes` does not train', { node: adapt, keyword: 'adapt' });
        }
    };

    checkBaseline = (baseline: BaselineProp, accept: ValidationAcceptor): void => {
        if (isPrototypes(baseline.$container)) {
            report(accept, 'error', Codes.optionMismatch, `\`baseline ${baseline.kinds.join(', ')}\` trains the network from random weights, but \`head prototypes\` does not train`, {
                node: baseline,
                keyword: 'baseline'
            });
        }
        // Each baseline once per experiment, whether listed in one statement or several.
        const earlier = baseline.$container.props.filter(isBaselineProp);
        const before = earlier.slice(0, earlier.indexOf(baseline)).flatMap((b) => b.kinds.map((k) => ({ k, line: lineOf(b) })));
        baseline.kinds.forEach((kind, index) => {
            const again = before.find((b) => b.k === kind) ?? (baseline.kinds.indexOf(kind) < index ? { k: kind, line: lineOf(baseline) } : undefined);
            if (again) report(accept, 'error', Codes.duplicateStatement, `\`baseline ${kind}\` is already asked for (line ${again.line}); each baseline trains once`, { node: baseline, property: 'kinds', index });
        });
    };

    checkSeeds = (seeds: SeedsProp, accept: ValidationAcceptor): void => {
        seeds.values.forEach((value, index) => {
            if (!isNonNegativeInt(value)) report(accept, 'error', Codes.intRequired, `a seed must be a whole number, not ${fmt(value)}`, { node: seeds, property: 'values', index });
            else if (seeds.values.indexOf(value) < index) report(accept, 'error', Codes.duplicateStatement, `seed ${fmt(value)} is listed twice; each seed runs once`, { node: seeds, property: 'values', index });
        });
    };

    checkSeed = (seed: SeedProp, accept: ValidationAcceptor): void => {
        if (seed.value !== undefined && !isNonNegativeInt(seed.value)) {
            report(accept, 'error', Codes.intRequired, `seed must be a whole number, not ${fmt(seed.value)}`, { node: seed, property: 'value' });
        }
    };

    /** Whether an experiment has a dropout layer in any head (for `vary dropout`). */
    static hasDropout(experiment: Experiment): boolean {
        return headsOf(experiment).some((h) => h.layers.some(isDropoutLayer));
    }

    /** The loss an experiment trains with, explicit or by default (undefined for prototypes). */
    static effectiveLossKind(experiment: Experiment): string | undefined {
        if (isPrototypes(experiment)) return undefined;
        const explicit = lossOf(experiment)?.kind;
        if (explicit) return explicit;
        const outputs = outputsOf(experiment);
        return outputs.length > 0 && outputs.every((o) => o.activation === 'softmax') ? DEFAULT_LOSS.softmax : DEFAULT_LOSS.sigmoid;
    }

    static optimizerKind(experiment: Experiment): string {
        return optimizerOf(experiment)?.kind ?? DEFAULT_OPTIMIZER.kind;
    }
}

/**
 * Reports a monitor that names an unknown metric or a split the dataset does not have.
 * Also used by a sweep's `objective`.
 */
export function checkMonitorOn(
    dataset: ReturnType<typeof datasetOf>,
    monitor: string | undefined,
    accept: ValidationAcceptor,
    node: EarlyStopSetting | CheckpointSetting | AstNode
): void {
    if (monitor === undefined) return;
    const parsed = parseMonitor(monitor);
    if (!parsed.ok) {
        report(accept, 'error', Codes.monitorSplit, parsed.reason, { node, property: 'monitor' } as never);
        return;
    }
    if (!dataset || parsed.split === 'train') return;
    const splits = splitsOf(dataset);
    if (!splits.has(parsed.split)) {
        report(accept, 'error', Codes.monitorSplit, `\`${monitor}\` watches the ${parsed.split} split, but ${named('dataset', dataset.name)} has none (${describeSplits(splits)})`, {
            node,
            property: 'monitor'
        } as never);
    }
}
