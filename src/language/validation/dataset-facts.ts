// Facts about a `dataset` declaration that several checks share: its source, task, the splits it
// has, and — when the data exists on disk — its classes and images per class. Paths resolve
// against the folder of the .graft file that names them.
import { resolve } from 'node:path';
import { resolveSpecPath, specDir } from '../workspace/spec-paths.js';
import {
    isClassesProp,
    isCsvSource,
    isFolderSource,
    isIdxSource,
    isMnistSource,
    isShotsProp,
    isSplitProp,
    isTaskProp,
    type ClassesProp,
    type Dataset,
    type Source,
    type SplitProp
} from '../generated/ast.js';
import {
    csvClassCounts,
    csvFacts,
    defaultLabelColumn,
    folderClassCounts,
    mnistDigitCounts,
    type ClassCounts,
    type CsvFacts
} from './disk-facts.js';

export type SplitName = 'train' | 'val' | 'test';
const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export { resolveSpecPath, specDir };

export function sourceOf(dataset: Dataset): Source | undefined {
    return dataset.props.find((p): p is Source => isFolderSource(p) || isCsvSource(p) || isIdxSource(p) || isMnistSource(p));
}

export function taskOf(dataset: Dataset): 'single_label' | 'multi_label' {
    return dataset.props.find(isTaskProp)?.task ?? 'single_label';
}

export function splitPropOf(dataset: Dataset): SplitProp | undefined {
    return dataset.props.find(isSplitProp);
}

export function shotsOf(dataset: Dataset): number | undefined {
    return dataset.props.find(isShotsProp)?.k;
}

/**
 * The splits a dataset has: those of its `split` statement, else a pre-split folder's
 * `splits "train", …`, else none (all data is one pool).
 */
export function splitsOf(dataset: Dataset): Set<SplitName> {
    const split = splitPropOf(dataset);
    if (split) return new Set(split.parts.map((p) => p.split));
    const source = sourceOf(dataset);
    if (isFolderSource(source)) return new Set(source.splits.filter((s): s is SplitName => (SPLIT_NAMES as readonly string[]).includes(s)));
    return new Set();
}

/** The fraction of each class that lands in `split` (1 when the dataset is not split by percentages). */
function splitFraction(dataset: Dataset, split: SplitName): number | undefined {
    const prop = splitPropOf(dataset);
    if (!prop) return undefined;
    const part = prop.parts.find((p) => p.split === split);
    return part ? part.percent / 100 : 0;
}

/** The CSV of a csv-source dataset, when it exists on disk. */
export function datasetCsv(dataset: Dataset): CsvFacts | undefined {
    const source = sourceOf(dataset);
    if (!isCsvSource(source)) return undefined;
    const file = resolveSpecPath(source, source.path);
    return file === undefined ? undefined : csvFacts(file);
}

/**
 * All classes the source offers with their image counts, before `classes` filters them;
 * for a pre-split folder, counted in `split` (default train). Undefined when unknown.
 */
export function sourceClassCounts(dataset: Dataset, split: SplitName = 'train'): ClassCounts | undefined {
    const source = sourceOf(dataset);
    if (isMnistSource(source)) {
        const counts = mnistDigitCounts();
        if (!counts) return undefined;
        const classes = counts.map((_, d) => String(d));
        return { classes, counts: new Map(classes.map((c, d) => [c, counts[d]])) };
    }
    if (isFolderSource(source)) {
        const dir = resolveSpecPath(source, source.path);
        if (dir === undefined) return undefined;
        if (source.splits.length > 0) {
            const folder = source.splits.includes(split) ? split : source.splits[0];
            return folderClassCounts(resolve(dir, folder));
        }
        return folderClassCounts(dir);
    }
    if (isCsvSource(source)) {
        const csv = datasetCsv(dataset);
        const column = csv && defaultLabelColumn(csv);
        return csv && column ? csvClassCounts(csv, column, taskOf(dataset) === 'multi_label') : undefined;
    }
    return undefined;
}

/** The names a `classes` statement selects (a range names digits / numeric class names). */
export function selectedClassNames(classes: ClassesProp): string[] {
    if (classes.range) {
        const names: string[] = [];
        for (let i = classes.range.from; i <= classes.range.to && names.length <= 10_000; i++) names.push(String(i));
        return names;
    }
    return classes.names;
}

/** Per-class image counts after the `classes` filter (unknown classes are skipped). */
export function classCounts(dataset: Dataset, split: SplitName = 'train'): ClassCounts | undefined {
    const all = sourceClassCounts(dataset, split);
    if (!all) return undefined;
    const filter = dataset.props.find(isClassesProp);
    if (!filter) return all;
    const classes = selectedClassNames(filter).filter((c) => all.counts.has(c));
    return { classes, counts: new Map(classes.map((c) => [c, all.counts.get(c) ?? 0])) };
}

/**
 * The most images each class can have in one split: a pre-split folder's own counts, or the class
 * count times the split's percentage rounded up (a stratified split hands each class the rounded-down
 * share plus at most one leftover image). Undefined when the data is not on disk. When the dataset
 * has no split at all, every image counts. An upper bound, so that checks built on it never
 * reject a spec the runtime would accept.
 */
export function imagesPerClassIn(dataset: Dataset, split: SplitName): Map<string, number> | undefined {
    const counts = classCounts(dataset, split);
    if (!counts) return undefined;
    const source = sourceOf(dataset);
    const preSplit = isFolderSource(source) && source.splits.length > 0 && !splitPropOf(dataset);
    const fraction = preSplit ? 1 : splitFraction(dataset, split) ?? 1;
    return new Map(counts.classes.map((c) => [c, Math.ceil((counts.counts.get(c) ?? 0) * fraction - 1e-9)]));
}
