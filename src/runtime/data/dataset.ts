// The loaded dataset: label spaces, splits, balance, and the streaming batch pipeline over the
// decoded-image cache. Built by loadDataset (load.ts) from a DatasetPlan.

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DatasetPlan, SplitName } from '../../core/plan/types.js';
import { addNoise, augmentUnitBatch, isEmptyAugment } from './augment.js';
import { oversample } from './balance.js';
import type { DecodedCache } from './cache.js';
import { Limiter } from './concurrency.js';
import { decodeSample } from './decode.js';
import { dataError, describeError, type SkipLog, type SkippedFile } from './errors.js';
import type { LabelSpace, LabeledSample } from './labels.js';
import { normalizeInto, normalizeUnitTensor } from './normalize.js';
import { mixSeed, mulberry32, shuffleInPlace } from './prng.js';
import { SPLIT_ORDER, type SplitAssignment } from './splits.js';

/** A split, or `all`: every sample of every split (not the ones `shots` left out). */
export type SplitSelector = SplitName | 'all';

export interface BatchOptions {
    batchSize: number;
    /** 0-based epoch: seeds the order and the augmentation. Default 0. */
    epoch?: number;
    /** Default: true for `train`, false otherwise. */
    shuffle?: boolean;
    /** Default: true for `train` when the plan has augmentations. Never applied to other splits. */
    augment?: boolean;
    /** Default: true for `train` when the plan says `balance oversample`. */
    oversample?: boolean;
    /** Batches prepared ahead of the consumer. Default 3. */
    prefetch?: number;
    /** Drop a last batch smaller than batchSize. Default false. */
    dropRemainder?: boolean;
}

export interface Batch {
    /** [b, h, w, c] float32, normalised as the plan says. */
    xs: tf.Tensor4D;
    /** [b, k] one-hot (single-label) or multi-hot (multi-label) over the default column's classes. */
    ys: tf.Tensor2D;
    /** One [b, k_col] tensor per label column (the default column included), for named heads. */
    targets: Record<string, tf.Tensor2D>;
    /** Per-sample weights from `balance class_weights` (single-label only), else undefined. */
    weights?: tf.Tensor1D;
    /** Sample keys in batch order (for audits and predictions). */
    keys: string[];
    /** Index of the batch in its epoch. */
    index: number;
    size: number;
    dispose(): void;
}

/** A whole split in plain arrays (small datasets, evaluation, feature extraction). */
export interface SplitArrays {
    n: number;
    shape: [number, number, number];
    /** n·h·w·c normalised values. */
    x: Float32Array;
    /** n·k one-/multi-hot of the default column. */
    y: Float32Array;
    /** Class indices per sample for the default column. */
    labels: number[][];
    targets: Record<string, { k: number; y: Float32Array; labels: number[][] }>;
    keys: string[];
}

/** What is written to splits.json (per dataset). */
export interface SplitsRecord {
    dataset: string;
    seed: number;
    mode: SplitAssignment['mode'];
    stratified: boolean;
    fractions?: Partial<Record<SplitName, number>>;
    shots?: number;
    root: string;
    classes: string[];
    counts: Partial<Record<SplitName, number>>;
    splits: Partial<Record<SplitName, string[]>>;
    unused: string[];
    skipped: SkippedFile[];
}

interface Prepared {
    index: number;
    keys: string[];
    pixels: Uint8Array[];
    rows: number[];
}

export interface DatasetParts {
    plan: DatasetPlan;
    seed: number;
    root: string;
    samples: LabeledSample[];
    spaces: Record<string, LabelSpace>;
    defaultColumn: string;
    assignment: SplitAssignment;
    cache: DecodedCache;
    log: SkipLog;
    concurrency: number;
    /** The run's cancellation: batches and warm() stop with its reason once it is aborted. */
    signal?: AbortSignal;
}

export class Dataset {
    readonly plan: DatasetPlan;
    readonly name: string;
    readonly seed: number;
    /** Class names of the default label column, in output order. */
    readonly classes: string[];
    readonly defaultColumn: string;
    /** Label space per column (CSV: every non-`file` column; else just `label`). */
    readonly labelSpaces: Record<string, LabelSpace>;
    readonly imageShape: [number, number, 1 | 3];
    /** `balance class_weights`: one weight per class of the default column, else undefined. */
    readonly classWeights?: number[];
    private readonly parts: DatasetParts;
    private readonly limiter: Limiter;

    constructor(parts: DatasetParts, classWeights: number[] | undefined) {
        this.parts = parts;
        this.plan = parts.plan;
        this.name = parts.plan.name;
        this.seed = parts.seed;
        this.defaultColumn = parts.defaultColumn;
        this.labelSpaces = parts.spaces;
        this.classes = parts.spaces[parts.defaultColumn].classes;
        this.imageShape = [parts.plan.image.height, parts.plan.image.width, parts.plan.image.channels];
        this.classWeights = classWeights;
        this.limiter = new Limiter(parts.concurrency);
    }

    /** Files left out so far (indexing, and decoding as epochs run): for results.json. */
    get skipped(): SkippedFile[] {
        return this.parts.log.items;
    }

    /** Where decoded images live and how much work the cache saved so far. */
    cacheStats(): { kind: 'memory' | 'disk'; bytes: number; decoded: number; decodes: number } {
        const c = this.parts.cache;
        return { kind: c.kind, bytes: c.bytes, decoded: c.decodedCount(), decodes: c.decodes };
    }

    /** Splits that hold images, in train/val/test order. Without a split statement: just `train`. */
    get splitNames(): SplitName[] {
        return SPLIT_ORDER.filter((s) => (this.parts.assignment.splits[s]?.length ?? 0) > 0);
    }

    /** Whether the spec divided the data (a split statement or a pre-split folder tree). */
    get isSplit(): boolean {
        return this.parts.assignment.mode !== 'none';
    }

    has(split: SplitSelector): boolean {
        if (split === 'all') return this.splitNames.length > 0;
        return (this.parts.assignment.splits[split]?.length ?? 0) > 0;
    }

    /** What `evaluate on <this dataset>` uses: its test split when it has one, else all of it. */
    evaluationSplit(): SplitSelector {
        return this.isSplit && this.has('test') ? 'test' : 'all';
    }

    /** What `adapt to <this dataset>` uses: its train split, or all of it without a split statement. */
    adaptationSplit(): SplitSelector {
        return this.isSplit && this.has('train') ? 'train' : 'all';
    }

    /** Images in a split, minus those that failed to decode so far. */
    size(split: SplitSelector): number {
        return this.indices(split).length;
    }

    /** The label space a head learns: its `labels "<column>"`, or the default column. */
    labelSpace(column?: string): LabelSpace {
        const col = column ?? this.defaultColumn;
        const space = this.labelSpaces[col];
        if (!space) {
            throw dataError(this.plan, `has no label column "${col}". Columns: ${Object.keys(this.labelSpaces).join(', ')}. Fix the head's \`labels\`.`);
        }
        return space;
    }

    /** Images per class of the default column in a split (multi-label: images where present). */
    classCounts(split: SplitSelector): number[] {
        const counts = new Array<number>(this.classes.length).fill(0);
        for (const i of this.indices(split)) for (const c of this.parts.samples[i].targets[this.defaultColumn]) counts[c]++;
        return counts;
    }

    keys(split: SplitSelector): string[] {
        return this.indices(split).map((i) => this.parts.samples[i].raw.key);
    }

    private indices(split: SplitSelector): number[] {
        const splits = this.parts.assignment.splits;
        const list = split === 'all' ? SPLIT_ORDER.flatMap((s) => splits[s] ?? []) : (splits[split] ?? []);
        return list.filter((i) => !this.parts.cache.isFailed(i));
    }

    private requireSplit(split: SplitSelector): number[] {
        if (!this.has(split)) {
            const have = this.splitNames.join(', ') || 'none';
            throw dataError(this.plan, `has no ${split} split (splits: ${have}). Add it to the dataset's \`split\` statement.`);
        }
        return this.indices(split);
    }

    /** Decoded HWC uint8 pixels of sample `i`, or null when it cannot be decoded (then skipped). */
    private pixels(i: number): Promise<Uint8Array | null> {
        const s = this.parts.samples[i];
        const shape = this.plan.image;
        return this.parts.cache.get(
            i,
            () => this.limiter.run(() => decodeSample(s.raw.source, shape)),
            (e) => this.parts.log.skip(s.raw.origin, `cannot decode: ${describeError(e)}`)
        );
    }

    /** Decodes every image of the given splits into the cache now (e.g. before timing epochs). */
    async warm(splits: SplitName[] = this.splitNames): Promise<void> {
        const all = splits.flatMap((s) => this.parts.assignment.splits[s] ?? []);
        await Promise.all(all.map((i) => this.pixels(i)));
    }

    /** The sample order of one epoch. */
    epochOrder(split: SplitSelector, opts: Pick<BatchOptions, 'epoch' | 'shuffle' | 'oversample'> = {}): number[] {
        const epoch = opts.epoch ?? 0;
        let order = [...this.requireSplit(split)];
        const over = split === 'train' && (opts.oversample ?? this.plan.balance === 'oversample');
        if (over) {
            const col = this.defaultColumn;
            const classOf = (i: number) => {
                const t = this.parts.samples[i].targets[col];
                return t.length ? Math.min(...t) : -1;
            };
            order = oversample(order, classOf, mulberry32(mixSeed(this.seed, 'oversample', epoch)));
        }
        if (opts.shuffle ?? split === 'train') shuffleInPlace(order, mulberry32(mixSeed(this.seed, 'order', epoch)));
        return order;
    }

    /**
     * Streams one epoch of a split as tensor batches. Decoding runs ahead of the consumer
     * (at most `prefetch` batches, decodes bounded by the dataset's concurrency). Images that
     * fail to decode are dropped from their batch and listed in `skipped`. The caller disposes
     * each batch.
     */
    async *batches(split: SplitSelector, opts: BatchOptions): AsyncGenerator<Batch> {
        if (!(opts.batchSize >= 1)) throw new Error(`batchSize must be ≥ 1, got ${opts.batchSize}`);
        const epoch = opts.epoch ?? 0;
        const order = this.epochOrder(split, opts);
        const augment = split === 'train' && (opts.augment ?? true) && !isEmptyAugment(this.plan.augment);
        const prefetch = Math.max(1, opts.prefetch ?? 3);
        const starts: number[] = [];
        for (let at = 0; at < order.length; at += opts.batchSize) {
            if (opts.dropRemainder && at + opts.batchSize > order.length) break;
            starts.push(at);
        }
        const prepare = async (b: number): Promise<Prepared> => {
            const rows = order.slice(starts[b], starts[b] + opts.batchSize);
            const px = await Promise.all(rows.map((i) => this.pixels(i)));
            const keep = rows.map((_, k) => k).filter((k) => px[k] !== null);
            return { index: b, rows: keep.map((k) => rows[k]), pixels: keep.map((k) => px[k]!), keys: keep.map((k) => this.parts.samples[rows[k]].raw.key) };
        };
        const queue: Promise<Prepared>[] = [];
        let next = 0;
        let produced = 0;
        // Swallow rejections of batches still queued if the consumer stops early; the error is
        // re-thrown when (if) that batch is awaited.
        const enqueue = () => {
            const p = prepare(next++);
            p.catch(() => undefined);
            queue.push(p);
        };
        try {
            while (next < starts.length && queue.length < prefetch) enqueue();
            while (queue.length > 0) {
                this.parts.signal?.throwIfAborted();
                const prepared = await queue.shift()!;
                // Decodes already under way finish (a cancelled decode must not be taken for a broken image); no batch follows.
                this.parts.signal?.throwIfAborted();
                if (next < starts.length) enqueue();
                if (prepared.rows.length === 0) continue;
                produced++;
                yield this.toBatch(prepared, augment, epoch);
            }
        } finally {
            await Promise.allSettled(queue);
        }
        if (produced === 0 && starts.length > 0) {
            throw dataError(this.plan, `no image of the ${split} split could be decoded (see the skipped files). Replace the broken files.`);
        }
    }

    private toBatch(p: Prepared, augment: boolean, epoch: number): Batch {
        const [h, w, c] = this.imageShape;
        const n = p.rows.length;
        const per = h * w * c;
        const plan = this.plan;
        const values = new Float32Array(n * per);
        // Augmentation works on [0,1] values; otherwise normalise right away in JS.
        const pre = augment ? 'unit' : plan.normalize;
        for (let k = 0; k < n; k++) normalizeInto(p.pixels[k], values, k * per, pre, c);
        let xs = tf.tensor4d(values, [n, h, w, c]);
        if (augment) {
            const rng = mulberry32(mixSeed(this.seed, 'augment', epoch, p.index));
            const unit = xs;
            const aug = augmentUnitBatch(unit, plan.augment, rng);
            unit.dispose();
            xs = plan.normalize === 'unit' ? aug : normalizeUnitTensor(aug, plan.normalize, c);
            if (xs !== aug) aug.dispose();
            if (plan.augment.noise) {
                const noisy = addNoise(xs, plan.augment.noise, rng);
                xs.dispose();
                xs = noisy;
            }
        }
        const targets: Record<string, tf.Tensor2D> = {};
        for (const [col, space] of Object.entries(this.labelSpaces)) {
            targets[col] = tf.tensor2d(this.hot(p.rows, col, space.classes.length), [n, space.classes.length]);
        }
        const ys = targets[this.defaultColumn];
        let weights: tf.Tensor1D | undefined;
        if (this.classWeights && plan.task === 'single_label') {
            const cw = this.classWeights;
            weights = tf.tensor1d(p.rows.map((i) => cw[this.parts.samples[i].targets[this.defaultColumn][0]]));
        }
        return {
            xs,
            ys,
            targets,
            weights,
            keys: p.keys,
            index: p.index,
            size: n,
            dispose: () => {
                xs.dispose();
                for (const t of Object.values(targets)) t.dispose();
                weights?.dispose();
            }
        };
    }

    private hot(rows: number[], column: string, k: number): Float32Array {
        const y = new Float32Array(rows.length * k);
        rows.forEach((i, r) => {
            for (const c of this.parts.samples[i].targets[column]) y[r * k + c] = 1;
        });
        return y;
    }

    /** A whole split as arrays, unaugmented, in split order. Decodes what is not cached yet. */
    async arrays(split: SplitSelector): Promise<SplitArrays> {
        const rows = this.requireSplit(split);
        const px = await Promise.all(rows.map((i) => this.pixels(i)));
        const ok = rows.filter((_, k) => px[k] !== null);
        const okPx = px.filter((p): p is Uint8Array => p !== null);
        if (ok.length === 0) throw dataError(this.plan, `no image of the ${split} split could be decoded (see the skipped files). Replace the broken files.`);
        const [h, w, c] = this.imageShape;
        const per = h * w * c;
        const x = new Float32Array(ok.length * per);
        okPx.forEach((p, k) => normalizeInto(p, x, k * per, this.plan.normalize, c));
        const targets: SplitArrays['targets'] = {};
        for (const [col, space] of Object.entries(this.labelSpaces)) {
            targets[col] = { k: space.classes.length, y: this.hot(ok, col, space.classes.length), labels: ok.map((i) => [...this.parts.samples[i].targets[col]]) };
        }
        const main = targets[this.defaultColumn];
        return { n: ok.length, shape: [h, w, c], x, y: main.y, labels: main.labels, targets, keys: ok.map((i) => this.parts.samples[i].raw.key) };
    }

    /** A whole split as tensors {xs, ys} (caller disposes). */
    async tensors(split: SplitSelector): Promise<{ xs: tf.Tensor4D; ys: tf.Tensor2D; keys: string[] }> {
        const a = await this.arrays(split);
        return { xs: tf.tensor4d(a.x, [a.n, ...a.shape]), ys: tf.tensor2d(a.y, [a.n, this.classes.length]), keys: a.keys };
    }

    /** The split assignment for splits.json. */
    splitsRecord(): SplitsRecord {
        const { assignment, samples } = this.parts;
        const splits: Partial<Record<SplitName, string[]>> = {};
        const counts: Partial<Record<SplitName, number>> = {};
        for (const s of SPLIT_ORDER) {
            const list = assignment.splits[s];
            if (!list) continue;
            splits[s] = list.map((i) => samples[i].raw.key);
            counts[s] = list.length;
        }
        return {
            dataset: this.name,
            seed: this.seed,
            mode: assignment.mode,
            stratified: this.plan.stratified,
            fractions: this.plan.split,
            shots: this.plan.shots,
            root: this.parts.root,
            classes: this.classes,
            counts,
            splits,
            unused: assignment.unused.map((i) => samples[i].raw.key),
            skipped: [...this.skipped]
        };
    }

    /** Removes the disk cache (if any). The dataset cannot produce batches afterwards. */
    close(): Promise<void> {
        return this.parts.cache.close();
    }
}

/** Writes `<runDir>/splits.json`: `{version: 1, datasets: {<name>: SplitsRecord}}`. Returns its path. */
export async function writeSplitsJson(runDir: string, datasets: Dataset | Dataset[]): Promise<string> {
    const list = Array.isArray(datasets) ? datasets : [datasets];
    const out = { version: 1, datasets: Object.fromEntries(list.map((d) => [d.name, d.splitsRecord()])) };
    await fs.mkdir(runDir, { recursive: true });
    const path = join(runDir, 'splits.json');
    await fs.writeFile(path, JSON.stringify(out, null, 2) + '\n');
    return path;
}
