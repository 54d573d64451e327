// Names and references: duplicate names across the workspace, cycles between experiments that
// reuse each other's backbones, statements given twice, and the statements an experiment needs.
import { metricKey } from '../../core/metrics.js';
import { metricPlanOf } from './metric-facts.js';
import { AstUtils, type AstNode, type ValidationAcceptor } from 'langium';
import {
    isAdaptProp,
    isAugmentBlock,
    isBackboneLr,
    isBaselineProp,
    isBatchnormMode,
    isBatchSetting,
    isCheckpointSetting,
    isClassesProp,
    isClipNormSetting,
    isCsvSource,
    isDataProp,
    isDeviceProp,
    isEarlyStopSetting,
    isEpochsSetting,
    isEvaluateProp,
    isExperimentBackbone,
    isExportProp,
    isFileBackbone,
    isFlipOp,
    isFolderSource,
    isHead,
    isIdxSource,
    isImageProp,
    isLossProp,
    isMetricsProp,
    isMnistSource,
    isNormalizeProp,
    isObjectiveItem,
    isOptimizerProp,
    isScalarAugmentOp,
    isScheduleProp,
    isSeedProp,
    isSeedsProp,
    isShotsProp,
    isSplitProp,
    isStage,
    isTaskProp,
    isThresholdProp,
    isTrainBlock,
    isTrialsItem,
    isVaryItem,
    isZooBackbone,
    isBalanceProp,
    isOutputLayer,
    isMetric,
    type AugmentBlock,
    type Dataset,
    type Experiment,
    type ExperimentBackbone,
    type Head,
    type MetricsProp,
    type Model,
    type Stage,
    type Sweep,
    type TrainBlock
} from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { keywordRange, lineOf, named } from './check-utils.js';
import { Codes, report } from './codes.js';

/** The backbone statement of an experiment that reuses another experiment's backbone. */
export function experimentBackboneOf(experiment: Experiment): ExperimentBackbone | undefined {
    return experiment.props.find(isExperimentBackbone);
}

/**
 * The experiments whose backbone chain leads back to `experiment`, in order, or undefined when
 * the chain ends (a zoo/file backbone, an unresolved name, or a cycle not through `experiment`).
 */
export function backboneCycle(experiment: Experiment): Experiment[] | undefined {
    const path: Experiment[] = [experiment];
    const seen = new Set<Experiment>(path);
    let current = experimentBackboneOf(experiment)?.experiment?.ref;
    while (current) {
        if (current === experiment) return path;
        if (seen.has(current)) return undefined;
        seen.add(current);
        path.push(current);
        current = experimentBackboneOf(current)?.experiment?.ref;
    }
    return undefined;
}

/** A key naming what kind of statement a node is; two nodes with one key in one block clash. */
type KeyOf = (node: AstNode) => string | undefined;

function datasetKey(node: AstNode): string | undefined {
    if (isFolderSource(node) || isCsvSource(node) || isIdxSource(node) || isMnistSource(node)) return 'source';
    if (isTaskProp(node)) return 'task';
    if (isClassesProp(node)) return 'classes';
    if (isImageProp(node)) return 'image';
    if (isNormalizeProp(node)) return 'normalize';
    if (isSplitProp(node)) return 'split';
    if (isShotsProp(node)) return 'shots';
    if (isAugmentBlock(node)) return 'augment';
    if (isBalanceProp(node)) return 'balance';
    return undefined;
}

function experimentKey(node: AstNode): string | undefined {
    if (isDataProp(node)) return 'data';
    if (isZooBackbone(node) || isFileBackbone(node) || isExperimentBackbone(node)) return 'backbone';
    if (isBackboneLr(node)) return 'backbone lr';
    if (isLossProp(node)) return 'loss';
    if (isOptimizerProp(node)) return 'optimizer';
    if (isScheduleProp(node)) return 'schedule';
    if (isTrainBlock(node)) return 'train';
    if (isAdaptProp(node)) return 'adapt';
    if (isMetricsProp(node)) return 'metrics';
    if (isBaselineProp(node)) return `baseline ${node.kinds.join(', ')}`;
    if (isThresholdProp(node)) return 'threshold';
    if (isSeedProp(node) || isSeedsProp(node)) return 'seed';
    if (isDeviceProp(node)) return 'device';
    if (isExportProp(node)) return 'export';
    if (isBatchnormMode(node)) return 'batchnorm';
    if (isEvaluateProp(node)) {
        if (node.test) return 'evaluate on test';
        if (node.dataset) return `evaluate on ${node.dataset.$refText}`;
        return 'evaluate episodes';
    }
    return undefined;
}

function trainSettingKey(node: AstNode): string | undefined {
    if (isEpochsSetting(node)) return 'epochs';
    if (isBatchSetting(node)) return 'batch';
    if (isEarlyStopSetting(node)) return 'early_stop';
    if (isCheckpointSetting(node)) return 'checkpoint';
    if (isClipNormSetting(node)) return 'clip_norm';
    return undefined;
}

function stageKey(node: AstNode): string | undefined {
    if (isOptimizerProp(node)) return 'optimizer';
    if (isScheduleProp(node)) return 'schedule';
    if (isBackboneLr(node)) return 'backbone lr';
    if (isBatchnormMode(node)) return 'batchnorm';
    return trainSettingKey(node);
}

function augmentKey(node: AstNode): string | undefined {
    if (isFlipOp(node)) return 'flip';
    if (isScalarAugmentOp(node)) return node.kind;
    return undefined;
}

function sweepKey(node: AstNode): string | undefined {
    if (isVaryItem(node)) return `vary ${node.param}`;
    if (isTrialsItem(node)) return 'trials';
    if (isObjectiveItem(node)) return 'objective';
    return undefined;
}

/** The metric's registry key, so `f1` and `f1 macro` are the same entry (undefined while half-typed). */
function metricKeyOf(node: AstNode): string | undefined {
    const plan = isMetric(node) ? metricPlanOf(node) : undefined;
    return plan && !Number.isNaN((plan as { k?: number }).k) ? metricKey(plan) : undefined;
}

export class ReferenceChecks {
    constructor(private readonly services: GraftServices) {}

    /** Names are global across every .graft file of the workspace, whatever kind they name. */
    checkDuplicateNames = (model: Model, accept: ValidationAcceptor): void => {
        const thisUri = AstUtils.getDocument(model).uri.toString();
        const mine = new Set(model.elements.map((e) => e.name));
        const declared = new Map<string, { uri: string; line: number }[]>();
        for (const description of this.services.shared.workspace.IndexManager.allElements()) {
            if (!mine.has(description.name)) continue;
            const list = declared.get(description.name) ?? [];
            list.push({ uri: description.documentUri.toString(), line: (description.nameSegment?.range.start.line ?? 0) + 1 });
            declared.set(description.name, list);
        }
        for (const element of model.elements) {
            if (!element.name) continue;
            const others = (declared.get(element.name) ?? []).filter((d) => d.uri !== thisUri);
            const sameFile = model.elements.filter((e) => e !== element && e.name === element.name);
            const where = [
                ...sameFile.map((e) => `line ${lineOf(e)}`),
                ...others.map((d) => `${d.uri.slice(d.uri.lastIndexOf('/') + 1)}:${d.line}`)
            ];
            if (where.length > 0) {
                report(accept, 'error', Codes.duplicateName, `'${element.name}' is declared more than once (also at ${where.join(', ')}); names are global across the workspace`, {
                    node: element,
                    property: 'name'
                });
            }
        }
    };

    checkCycle = (experiment: Experiment, accept: ValidationAcceptor): void => {
        const cycle = backboneCycle(experiment);
        const backbone = experimentBackboneOf(experiment);
        if (!cycle || !backbone) return;
        const names = [...cycle.map((e) => e.name), experiment.name].join(' → ');
        report(accept, 'error', Codes.cycle, `backbone cycle: ${names}; an experiment cannot (indirectly) reuse its own backbone`, {
            node: backbone,
            property: 'experiment'
        });
    };

    checkDataset = (dataset: Dataset, accept: ValidationAcceptor): void => {
        this.reportDuplicates(dataset.props, datasetKey, 'a dataset', accept);
        if (!dataset.props.some((p) => datasetKey(p) === 'source')) {
            report(accept, 'error', Codes.missingSource, `${named('dataset', dataset.name)} has no source: add \`source folder "<dir>"\`, \`source csv …\`, \`source idx …\` or \`source mnist\``, {
                node: dataset,
                property: 'name'
            });
        }
    };

    checkAugment = (augment: AugmentBlock, accept: ValidationAcceptor): void => {
        this.reportDuplicates(augment.ops, augmentKey, 'an augment block', accept);
    };

    checkExperiment = (experiment: Experiment, accept: ValidationAcceptor): void => {
        this.reportDuplicates(experiment.props, experimentKey, 'an experiment', accept);
        this.checkHeads(experiment, accept);
        const stages = experiment.props.filter(isStage);
        this.reportDuplicateNames(stages, 'stage', accept);
        const missing = (code: typeof Codes.missingData | typeof Codes.missingBackbone | typeof Codes.missingHead, what: string): void =>
            report(accept, 'error', code, `${named('experiment', experiment.name)} needs ${what}`, { node: experiment, property: 'name' });
        if (!experiment.props.some(isDataProp)) missing(Codes.missingData, 'a `data <dataset>` statement');
        if (!experiment.props.some((p) => experimentKey(p) === 'backbone')) {
            missing(Codes.missingBackbone, 'a backbone: `backbone <zoo architecture>`, `backbone from "<model.json>"` or `backbone <experiment>`');
        }
        if (!experiment.props.some(isHead)) missing(Codes.missingHead, 'a head: `head { … output softmax|sigmoid }` or `head prototypes`');
    };

    checkTrainBlock = (train: TrainBlock, accept: ValidationAcceptor): void => {
        this.reportDuplicates(train.settings, trainSettingKey, 'a train block', accept);
    };

    checkStage = (stage: Stage, accept: ValidationAcceptor): void => {
        this.reportDuplicates(stage.items, stageKey, 'a stage', accept);
    };

    checkMetrics = (metrics: MetricsProp, accept: ValidationAcceptor): void => {
        const seen = new Map<string, AstNode>();
        metrics.metrics.forEach((metric, index) => {
            const key = metricKeyOf(metric);
            if (key === undefined) return;
            if (seen.has(key)) {
                report(accept, 'error', Codes.duplicateStatement, `metric \`${key.replace(/_/g, ' ')}\` is listed twice`, { node: metrics, property: 'metrics', index });
            } else {
                seen.set(key, metric);
            }
        });
    };

    checkSweep = (sweep: Sweep, accept: ValidationAcceptor): void => {
        this.reportDuplicates(sweep.items, sweepKey, 'a sweep', accept);
    };

    /** One unnamed head or `head prototypes`, or any number of distinctly named heads. */
    private checkHeads(experiment: Experiment, accept: ValidationAcceptor): void {
        const heads = experiment.props.filter(isHead);
        if (heads.length < 2) return;
        const unnamed = heads.filter((h) => !h.name);
        heads.slice(1).forEach((head) => {
            if (!head.name || unnamed.length > 0) {
                const first = heads[0];
                report(
                    accept,
                    'error',
                    Codes.duplicateStatement,
                    `a second head (the first is on line ${lineOf(first)}): use one \`head { … }\`, \`head prototypes\`, or several named heads \`head <name> { … }\``,
                    { node: head, keyword: 'head' }
                );
            }
        });
        if (unnamed.length === 0) this.reportDuplicateNames(heads, 'head', accept);
    }

    /** Each head has exactly one output layer. */
    checkOneOutput = (head: Head, accept: ValidationAcceptor): void => {
        const outputs = head.layers.filter(isOutputLayer);
        outputs.slice(1).forEach((output) =>
            report(accept, 'error', Codes.duplicateStatement, `a head has one \`output\` (the first is on line ${lineOf(outputs[0])})`, { node: output, keyword: 'output' })
        );
    };

    private reportDuplicateNames(nodes: (Stage | Head)[], what: string, accept: ValidationAcceptor): void {
        const seen = new Map<string, Stage | Head>();
        for (const node of nodes) {
            if (!node.name) continue;
            const first = seen.get(node.name);
            if (first) {
                report(accept, 'error', Codes.duplicateName, `${what} '${node.name}' is declared twice in this experiment (first on line ${lineOf(first)})`, {
                    node,
                    property: 'name'
                });
            } else {
                seen.set(node.name, node);
            }
        }
    }

    private reportDuplicates(nodes: readonly AstNode[], keyOf: KeyOf, where: string, accept: ValidationAcceptor): void {
        const first = new Map<string, AstNode>();
        for (const node of nodes) {
            const key = keyOf(node);
            if (key === undefined) continue;
            const earlier = first.get(key);
            if (earlier) {
                report(accept, 'error', Codes.duplicateStatement, `\`${key}\` is given twice in ${where} (first on line ${lineOf(earlier)}); keep one`, {
                    node,
                    range: keywordRange(node)
                });
            } else {
                first.set(key, node);
            }
        }
    }
}
