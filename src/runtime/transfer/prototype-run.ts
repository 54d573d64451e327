// Runs an experiment with `head prototypes`: nothing trains. The backbone (frozen, inference
// mode) turns images into pooled features; then
//   - `test` (and `evaluate on <dataset>`): prototypes are the class means of the training split
//     (the k shots when the dataset says `shots k per class`), and every image of the evaluation
//     set gets the class of the nearest prototype: accuracy and the plan's other metrics;
//   - `evaluate episodes N way W shot K query Q`: N episodes drawn from the test split (all the
//     data when the dataset has no test split), reported as split `episodes` with the mean
//     accuracy, its 95% confidence interval (`ci95`, half-width) and the standard deviation.
// Metric probabilities are the softmax of the prototype scores (cosine similarity, or minus the
// squared distance), so accuracy, F1 and the confusion matrix follow the nearest prototype.

import * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph } from '../backend/frozen-graph.js';
import type { ExperimentPlan } from '../../core/plan/types.js';
import { loadDataset, type Dataset, type SplitSelector, type WarnFn } from '../data/index.js';
import { computeMetrics, type MetricValues } from '../eval/metrics.js';
import { SpecError } from '../train/model.js';
import { poolFeatures } from './domain-losses.js';
import { EpisodeError, evaluateEpisodes, type EpisodeSummary } from './episodes.js';
import { computePrototypes, row, type Distance, type FeatureMatrix } from './prototypes.js';

export interface LabelledFeatures {
    features: FeatureMatrix;
    /** Class index per row (default label column). */
    labels: number[];
}

/** Pooled backbone features of a whole split, in split order. */
export async function extractFeatures(backbone: tf.LayersModel, ds: Dataset, split: SplitSelector, batchSize = 64): Promise<LabelledFeatures> {
    const chunks: Float32Array[] = [];
    const labels: number[] = [];
    let dim = 0;
    // Prototypes never train the backbone: it runs as fused inference ops (BatchNorm folded).
    const graph = compileFrozenGraph(backbone);
    try {
        for await (const b of ds.batches(split, { batchSize, shuffle: false, augment: false, oversample: false })) {
            try {
                const f = tf.tidy(() => poolFeatures(graph.apply(b.xs, { training: false }) as tf.Tensor));
                dim = f.shape[1];
                chunks.push(f.dataSync() as Float32Array);
                f.dispose();
                const y = tf.tidy(() => tf.argMax(b.ys, 1));
                labels.push(...(y.dataSync() as Int32Array));
                y.dispose();
            } finally {
                b.dispose();
            }
        }
    } finally {
        graph.dispose();
    }
    const values = new Float32Array(labels.length * dim);
    let at = 0;
    for (const c of chunks) {
        values.set(c, at);
        at += c.length;
    }
    return { features: { n: labels.length, dim, values }, labels };
}

/** Scores of every row against every prototype (higher = nearer), row-major [n, classes]. */
function scores(prototypes: Float64Array[], f: FeatureMatrix, distance: Distance): Float32Array {
    const out = new Float32Array(f.n * prototypes.length);
    const pn = prototypes.map((p) => Math.sqrt(p.reduce((s, v) => s + v * v, 0)));
    for (let i = 0; i < f.n; i++) {
        const q = row(f, i);
        let qn = 0;
        for (const v of q) qn += v * v;
        qn = Math.sqrt(qn);
        prototypes.forEach((p, c) => {
            let s = 0;
            if (distance === 'euclidean') {
                for (let k = 0; k < q.length; k++) s -= (q[k] - p[k]) ** 2;
            } else {
                for (let k = 0; k < q.length; k++) s += q[k] * p[k];
                s = qn > 0 && pn[c] > 0 ? s / (qn * pn[c]) : 0;
            }
            out[i * prototypes.length + c] = s;
        });
    }
    return out;
}

function softmaxRows(values: Float32Array, classes: number): Float32Array {
    const out = new Float32Array(values.length);
    for (let r = 0; r < values.length / classes; r++) {
        let max = -Infinity;
        for (let c = 0; c < classes; c++) max = Math.max(max, values[r * classes + c]);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += out[r * classes + c] = Math.exp(values[r * classes + c] - max);
        for (let c = 0; c < classes; c++) out[r * classes + c] /= sum;
    }
    return out;
}

/** Metrics of nearest-prototype classification of `evalSet` with prototypes from `support`. */
export function prototypeMetrics(support: LabelledFeatures, evalSet: LabelledFeatures, classes: number, distance: Distance, plan: Pick<ExperimentPlan, 'metrics'>): MetricValues {
    const protos = computePrototypes(support.features, support.labels, support.labels.map((_, i) => i), classes);
    const probs = softmaxRows(scores(protos, evalSet.features, distance), classes);
    const wanted = plan.metrics.some((m) => m.kind === 'accuracy') ? plan.metrics : [{ kind: 'accuracy' as const }, ...plan.metrics];
    return computeMetrics({ task: 'single_label', classes, probs, labels: evalSet.labels }, wanted);
}

export interface PrototypeOutcome {
    classes: string[];
    /** `test` / `<dataset>`: nearest-prototype metrics; `episodes`: accuracy, ci95, std, episodes. */
    metrics: Record<string, MetricValues>;
    episodes: EpisodeSummary[];
    featureDim: number;
    /** Support images per class (the training split). */
    shots: number[];
}

export interface PrototypeOptions {
    warn: WarnFn;
    /** The experiment's dataset already loaded (tests); default: loaded from the plan. */
    dataset?: Dataset;
}

export async function runPrototypes(plan: ExperimentPlan, backbone: tf.LayersModel, options: PrototypeOptions): Promise<PrototypeOutcome> {
    if (plan.head.kind !== 'prototypes') throw new Error(`experiment ${plan.experiment} has no \`head prototypes\``);
    const { distance, at } = plan.head;
    const ds = options.dataset ?? (await loadDataset(plan.data, { seed: plan.seed, warn: options.warn }));
    const opened: Dataset[] = options.dataset ? [] : [ds];
    try {
        if (plan.data.task !== 'single_label') throw new SpecError(`head prototypes needs single-label data; ${plan.data.name} is ${plan.data.task}`, at);
        const classes = ds.classes;
        const metrics: Record<string, MetricValues> = {};
        const episodes: EpisodeSummary[] = [];
        const cache = new Map<string, LabelledFeatures>();
        const featuresOf = async (d: Dataset, split: SplitSelector): Promise<LabelledFeatures> => {
            const key = `${d.name}\u0000${split}`;
            let f = cache.get(key);
            if (!f) {
                f = await extractFeatures(backbone, d, split);
                cache.set(key, f);
            }
            return f;
        };
        if (!ds.has('train')) throw new SpecError(`dataset ${plan.data.name} has no training images to build prototypes from`, plan.data.at);
        const support = await featuresOf(ds, 'train');
        const shots = classes.map((_, c) => support.labels.filter((l) => l === c).length);
        const missing = classes.filter((_, c) => shots[c] === 0);
        if (missing.length) throw new SpecError(`head prototypes: no training image of class ${missing.join(', ')} to build its prototype from`, plan.data.at);

        for (const e of plan.evaluate) {
            if (e.kind === 'test') {
                if (!ds.has('test')) {
                    options.warn(`dataset ${plan.data.name} has no test split: \`evaluate on test\` is skipped`);
                    continue;
                }
                metrics.test = prototypeMetrics(support, await featuresOf(ds, 'test'), classes.length, distance, plan);
            } else if (e.kind === 'dataset') {
                const other = await loadDataset(e.dataset, { seed: plan.seed, warn: options.warn });
                opened.push(other);
                if (other.classes.join('\u0000') !== classes.join('\u0000')) {
                    throw new SpecError(`evaluate on ${e.dataset.name}: its classes (${other.classes.join(', ')}) differ from the prototypes' classes (${classes.join(', ')})`, e.dataset.at);
                }
                metrics[e.dataset.name] = prototypeMetrics(support, await featuresOf(other, other.evaluationSplit()), classes.length, distance, plan);
            } else {
                const split: SplitSelector = ds.has('test') ? 'test' : 'all';
                if (split === 'all') options.warn(`dataset ${plan.data.name} has no test split: episodes are drawn from all of its images`);
                const pool = await featuresOf(ds, split);
                let summary: EpisodeSummary;
                try {
                    summary = evaluateEpisodes(pool.features, pool.labels, { episodes: e.episodes, way: e.way, shot: e.shot, query: e.query }, { distance, seed: plan.seed, classNames: classes });
                } catch (err) {
                    if (err instanceof EpisodeError) throw new SpecError(`${err.message} (${split} split of ${plan.data.name})`, at);
                    throw err;
                }
                episodes.push(summary);
                const key = episodes.length === 1 ? 'episodes' : `episodes_${e.way}way_${e.shot}shot`;
                metrics[key] = { accuracy: summary.accuracy, ci95: summary.ci95, std: summary.std, episodes: summary.episodes };
            }
        }
        return { classes, metrics, episodes, featureDim: support.features.dim, shots };
    } finally {
        await Promise.all(opened.map((d) => d.close()));
    }
}
