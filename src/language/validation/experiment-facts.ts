// Facts about an experiment that several checks and quick fixes share: its dataset, heads,
// optimizer and the task each output learns.
import { DEFAULT_OPTIMIZER } from '../../core/rules/optimizer.js';
import {
    isDataProp,
    isHead,
    isImageProp,
    isLossProp,
    isOptimizerProp,
    isOutputLayer,
    type Dataset,
    type Experiment,
    type Head,
    type LossProp,
    type OptimizerProp,
    type OutputLayer
} from '../generated/ast.js';
import { defaultLabelColumn, labelColumns } from './disk-facts.js';
import { datasetCsv, sourceOf, taskOf } from './dataset-facts.js';

/** The learning rate every experiment gets without an `optimizer` statement. */
export const DEFAULT_LR = DEFAULT_OPTIMIZER.lr;

export function datasetOf(experiment: Experiment): Dataset | undefined {
    return experiment.props.find(isDataProp)?.dataset?.ref;
}

/** [height, width, channels] of the experiment's data, when its `image` statement is complete. */
export function inputShapeOf(experiment: Experiment): number[] | undefined {
    const image = datasetOf(experiment)?.props.find(isImageProp);
    if (!image || image.height === undefined || image.width === undefined || image.color === undefined) return undefined;
    return [image.height, image.width, image.color === 'grayscale' ? 1 : 3];
}

export function headsOf(experiment: Experiment): Head[] {
    return experiment.props.filter(isHead);
}

export function isPrototypes(experiment: Experiment): boolean {
    return headsOf(experiment).some((h) => h.prototypes);
}

export function outputOf(head: Head): OutputLayer | undefined {
    return head.layers.find(isOutputLayer);
}

export function outputsOf(experiment: Experiment): OutputLayer[] {
    return headsOf(experiment).flatMap((h) => h.layers.filter(isOutputLayer));
}

export function lossOf(experiment: Experiment): LossProp | undefined {
    return experiment.props.find(isLossProp);
}

export function optimizerOf(experiment: Experiment): OptimizerProp | undefined {
    return experiment.props.find(isOptimizerProp);
}

/** The learning rate of the first stage (`train`): the experiment's optimizer, else the default. */
export function firstStageLr(experiment: Experiment): number {
    return optimizerOf(experiment)?.lr ?? DEFAULT_LR;
}

/**
 * The task one output learns: the dataset's task for its default label column; every other CSV
 * column picked with `labels` is single-label (the runtime reads one label per cell there).
 * Undefined when it cannot be known (dataset unresolved, CSV not on disk).
 */
export function outputTask(output: OutputLayer, dataset: Dataset | undefined): 'single_label' | 'multi_label' | undefined {
    if (!dataset) return undefined;
    if (output.labels === undefined) return taskOf(dataset);
    if (sourceOf(dataset)?.$type !== 'CsvSource') return undefined;
    const csv = datasetCsv(dataset);
    if (!csv || !labelColumns(csv).includes(output.labels)) return undefined;
    return output.labels === defaultLabelColumn(csv) ? taskOf(dataset) : 'single_label';
}

/** The activation that fits a task. */
export function activationFor(task: 'single_label' | 'multi_label'): 'softmax' | 'sigmoid' {
    return task === 'multi_label' ? 'sigmoid' : 'softmax';
}
