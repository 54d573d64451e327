// Connects the data pipeline (src/runtime/data) to the training loop's feeds: one label tensor
// per head (its `labels` column, else the dataset's default column), evaluation sets for
// `evaluate on test | on <dataset>`, and training class counts for class weights.

import { dirname, join, relative, sep } from 'node:path';
import type { ExperimentPlan, OutputHeadPlan, SplitName } from '../../core/plan/types.js';
import { loadDataset, type Dataset, type WarnFn } from '../data/index.js';
import type { Batch, BatchOptions, SampleDisplay, SplitFeed, TrainingData } from './feed.js';
import { SpecError } from './model.js';

/**
 * Sample keys are relative to the source's root (`<file>#<n>` for IDX, `mnist/<digit>#<n>` for
 * the mnist package); people want them relative to the spec they wrote.
 */
function displayOf(ds: Dataset, specFile: string): SampleDisplay {
    const source = ds.plan.source;
    let root: string | undefined;
    const fromSpec = (path: string) => relative(dirname(specFile), path).split(sep).join('/');
    return {
        normalize: ds.plan.normalize,
        source: (key) => {
            if (source.kind === 'mnist') return key;
            root ??= ds.splitsRecord().root;
            if (source.kind === 'idx') {
                const at = key.lastIndexOf('#');
                return at < 0 ? fromSpec(join(root, key)) : `${fromSpec(join(root, key.slice(0, at)))}${key.slice(at)}`;
            }
            return fromSpec(join(root, key));
        }
    };
}

class DatasetFeed implements SplitFeed {
    readonly display?: SampleDisplay;

    constructor(
        private readonly ds: Dataset,
        private readonly split: SplitName,
        private readonly columns: (string | undefined)[],
        display?: SampleDisplay
    ) {
        this.display = display;
    }

    get size(): number {
        return this.ds.size(this.split);
    }

    async *batches(batchSize: number, options: BatchOptions): AsyncIterable<Batch> {
        for await (const b of this.ds.batches(this.split, { batchSize, epoch: options.epoch, shuffle: options.shuffle, augment: options.augment })) {
            try {
                yield { x: b.xs, labels: this.columns.map((c) => (c === undefined ? b.ys : b.targets[c])), keys: b.keys };
            } finally {
                b.dispose();
            }
        }
    }
}

export interface LoadedData {
    data: TrainingData;
    datasets: Dataset[];
    close(): Promise<void>;
}

function headColumns(ds: Dataset, heads: OutputHeadPlan[]): (string | undefined)[] {
    return heads.map((h) => {
        if (h.labels === undefined) return undefined;
        ds.labelSpace(h.labels); // throws a DataError naming the columns when it is missing
        return h.labels;
    });
}

/** `signal`: the run's cancellation, checked while the datasets are indexed and between batches. */
export async function loadTrainingData(plan: ExperimentPlan, warn: WarnFn, signal?: AbortSignal): Promise<LoadedData> {
    if (plan.head.kind !== 'output') throw new SpecError('a prototypes head is evaluated by episodes, not trained', plan.head.at);
    const heads = plan.head.heads;
    const ds = await loadDataset(plan.data, { seed: plan.seed, warn, signal });
    const datasets = [ds];
    const columns = headColumns(ds, heads);
    if (!ds.has('train')) throw new SpecError(`dataset ${plan.data.name} has no training images`, plan.data.at);
    const classes = heads.map((h) => ds.labelSpace(h.labels).classes);
    const evaluation = new Map<string, SplitFeed>();
    for (const e of plan.evaluate) {
        if (e.kind === 'test') {
            if (ds.has('test')) evaluation.set('test', new DatasetFeed(ds, 'test', columns, displayOf(ds, plan.at.file)));
            else warn(`dataset ${plan.data.name} has no test split: \`evaluate on test\` is skipped`);
        } else if (e.kind === 'dataset') {
            const other = await loadDataset(e.dataset, { seed: plan.seed, warn, signal });
            datasets.push(other);
            const otherClasses = other.classes;
            if (otherClasses.join('\u0000') !== classes[0].join('\u0000')) {
                throw new SpecError(`evaluate on ${e.dataset.name}: its classes (${otherClasses.join(', ')}) differ from the training classes (${classes[0].join(', ')})`, e.dataset.at);
            }
            // Its test split when it has one, else all of it (an unsplit dataset is one `train` pool).
            const split: SplitName = other.has('test') ? 'test' : 'train';
            evaluation.set(e.dataset.name, new DatasetFeed(other, split, headColumns(other, heads), displayOf(other, plan.at.file)));
        }
    }
    const counts = heads.map((h) => (h.labels === undefined ? ds.classCounts('train') : countColumn(ds, h.labels)));
    return {
        data: {
            classes,
            train: new DatasetFeed(ds, 'train', columns),
            ...(ds.has('val') ? { val: new DatasetFeed(ds, 'val', columns) } : {}),
            evaluation,
            classCounts: counts,
            get skipped() {
                return datasets.flatMap((d) => d.skipped.map((s) => ({ origin: s.file, reason: s.reason })));
            }
        },
        datasets,
        close: async () => {
            await Promise.all(datasets.map((d) => d.close()));
        }
    };
}

/** The pipeline counts classes of the default column only; other columns get equal counts (no class weighting). */
function countColumn(ds: Dataset, column: string): number[] {
    return ds.labelSpace(column).classes.map(() => 1);
}
