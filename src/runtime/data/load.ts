// loadDataset: DatasetPlan → Dataset. Lists the source, checks file headers (skipping unusable
// files with a warning), builds label spaces, draws the splits and shots, and sizes the cache.
// Everything that makes a dataset unusable is a DataError here, before any training starts.

import type { DatasetPlan } from '../../core/plan/types.js';
import { inverseFrequencyWeights } from './balance.js';
import { DecodedCache, type CacheOptions } from './cache.js';
import { defaultConcurrency } from './concurrency.js';
import { Dataset } from './dataset.js';
import { dataError, SkipLog, type WarnFn } from './errors.js';
import { buildLabeling } from './labels.js';
import { listCsv } from './sources/csv.js';
import { listFolder } from './sources/folder.js';
import { listIdx } from './sources/idx.js';
import { checkImageFiles } from './sources/image-files.js';
import { listMnist } from './sources/mnist.js';
import { assignSplits } from './splits.js';
import type { SourceListing } from './types.js';

export interface LoadOptions {
    /** The experiment's seed: splits, shots, order and augmentation derive from it. */
    seed: number;
    /** Receives each warning (skipped files, ignored settings). Default: console.warn. */
    warn?: WarnFn;
    cache?: CacheOptions;
    /** Decodes in flight at once (sharp runs them on libuv's pool). Default: 2 × cores, 2..8. */
    concurrency?: number;
    /** Check every image's header while indexing (default true). Off = found when decoding. */
    checkHeaders?: boolean;
    /** Cancels indexing and every later batch (the run's cancellation): they throw its reason. */
    signal?: AbortSignal;
}

async function list(plan: DatasetPlan, log: SkipLog): Promise<SourceListing> {
    const s = plan.source;
    switch (s.kind) {
        case 'folder':
            return listFolder(plan, s, log);
        case 'csv':
            return listCsv(plan, s, log);
        case 'idx':
            return listIdx(plan, s, log);
        case 'mnist':
            return listMnist(plan, log);
    }
}

function describeSource(plan: DatasetPlan): string {
    const s = plan.source;
    switch (s.kind) {
        case 'folder':
            return s.dir;
        case 'csv':
            return `${s.file} (images in ${s.images})`;
        case 'idx':
            return s.dir;
        case 'mnist':
            return 'the mnist package';
    }
}

export async function loadDataset(plan: DatasetPlan, options: LoadOptions): Promise<Dataset> {
    const warn = options.warn ?? ((m: string) => console.warn(`warning: ${m}`));
    const log = new SkipLog(plan.name, warn);
    const concurrency = options.concurrency ?? defaultConcurrency();
    const listing = await list(plan, log);
    options.signal?.throwIfAborted();

    if (options.checkHeaders ?? true) {
        const files = listing.samples.map((s) => (s.source.kind === 'file' ? s.source.path : undefined));
        const paths = files.filter((p): p is string => p !== undefined);
        const reasons = await checkImageFiles(paths, concurrency, options.signal);
        const bad = new Map<string, string>();
        paths.forEach((p, k) => reasons[k] && bad.set(p, reasons[k]!));
        if (bad.size > 0) {
            for (const [p, r] of bad) log.skip(p, r);
            listing.samples = listing.samples.filter((s) => !(s.source.kind === 'file' && bad.has(s.source.path)));
        }
    }
    if (listing.samples.length === 0) {
        throw dataError(plan, `no usable image in ${describeSource(plan)}${log.items.length ? ` (${log.items.length} file(s) skipped, see the warnings)` : ''}. Check the path and that it holds JPEG/PNG/WebP/GIF images.`);
    }
    if (plan.source.kind === 'folder' && plan.source.splits) {
        for (const name of plan.source.splits) {
            if (!listing.samples.some((s) => s.key.split(/[\\/]/)[0] === name)) {
                throw dataError(plan, `the split folder ${name} holds no usable image. Add images or remove "${name}" from \`splits\`.`);
            }
        }
        if (plan.split) warn(`dataset ${plan.name}: the folders in \`splits\` decide the splits; the \`split\` percentages are ignored`);
    }

    options.signal?.throwIfAborted();
    const labeling = buildLabeling(plan, listing);
    if (labeling.samples.length === 0) {
        throw dataError(plan, `no image belongs to the classes ${plan.classes?.map((c) => `"${c}"`).join(', ')}. Fix the \`classes\` list.`);
    }
    const classes = labeling.spaces[labeling.defaultColumn].classes;
    if (plan.task === 'single_label' && classes.length < 2) {
        warn(`dataset ${plan.name}: only one class (${classes.join('')}) — a classifier needs at least two`);
    }
    const assignment = assignSplits(plan, labeling.samples, { seed: options.seed, presplit: listing.presplit, defaultColumn: labeling.defaultColumn, classes });

    let classWeights: number[] | undefined;
    if (plan.balance === 'class_weights') {
        const counts = new Array<number>(classes.length).fill(0);
        for (const i of assignment.splits.train ?? []) for (const c of labeling.samples[i].targets[labeling.defaultColumn]) counts[c]++;
        classWeights = inverseFrequencyWeights(counts);
        counts.forEach((n, c) => n === 0 && warn(`dataset ${plan.name}: class "${classes[c]}" has no training image; its class weight is 0`));
    }

    const { image } = plan;
    const cache = new DecodedCache(labeling.samples.length, image.height * image.width * image.channels, options.cache);
    return new Dataset(
        { plan, seed: options.seed, root: listing.root, samples: labeling.samples, spaces: labeling.spaces, defaultColumn: labeling.defaultColumn, assignment, cache, log, concurrency, signal: options.signal },
        classWeights
    );
}
