// Classifying new images with a trained model: the images are decoded and normalised exactly as
// training did (data/decode.ts and the affine normalisation of data/normalize.ts, with the size,
// colour mode and scale/offset read from graft-model.json), run through model.json, and each
// output's top classes returned. Files that cannot be used are skipped and listed, never fatal.
// Shared by `graft predict` (src/cli/predict.ts) and the results panel's image box.

import { promises as fs } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph, type FrozenGraph } from '../backend/frozen-graph.js';
import { affineInto, checkImageFile, decodeSample, defaultConcurrency, describeError, IMAGE_EXTENSIONS, isIgnorable, mapLimit } from '../data/index.js';
import { loadLayersModelFromDir } from '../runs/model-io.js';
import { ModelFolderError, type GraftModelMetadata, type ModelInput } from './model-metadata.js';
import { openModelFolder, type ModelFolder } from './model-folder.js';

export interface Predictor {
    folder: ModelFolder;
    metadata: GraftModelMetadata;
    model: tf.LayersModel;
    /** The same network compiled for inference (BatchNorm folded, fused activations), as the run evaluated it. */
    graph: FrozenGraph;
    dispose(): void;
}

export interface ClassScore {
    class: string;
    /** Index in the output's class list. */
    index: number;
    probability: number;
}

export interface OutputPrediction {
    head: string;
    task: 'single_label' | 'multi_label';
    /** The k most probable classes, most probable first. */
    top: ClassScore[];
    /** Single-label: the top class. Multi-label: every class at or above its threshold (may be empty). */
    predicted: string[];
    /** Every class's probability, in the output's class order. */
    probabilities: number[];
}

export interface ImagePrediction {
    file: string;
    outputs: OutputPrediction[];
}

export interface SkippedImage {
    file: string;
    reason: string;
}

export interface PredictResult {
    predictions: ImagePrediction[];
    skipped: SkippedImage[];
}

export interface PredictOptions {
    /** How many classes per output to report (default 3, capped at the class count). */
    top?: number;
    batchSize?: number;
    /** Called after each batch with the images done so far (classified + skipped) and the total. */
    progress?: (done: number, total: number) => void;
    /** Checked between batches; when it returns true, prediction stops with what it has. */
    cancelled?: () => boolean;
}

/** Opens the model folder and loads its network; checks the network against its description. */
export async function loadPredictor(path: string): Promise<Predictor> {
    const folder = openModelFolder(path);
    const { metadata } = folder;
    let model: tf.LayersModel;
    try {
        model = await loadLayersModelFromDir(join(folder.dir, 'model.json'));
    } catch (err) {
        throw new ModelFolderError(`${join(folder.dir, 'model.json')}: cannot be loaded (${describeError(err)}); re-run the experiment to write it again`);
    }
    const [, h, w, c] = model.inputs[0].shape;
    const { input, outputs } = metadata;
    const problem =
        h !== input.height || w !== input.width || c !== input.channels
            ? `the network takes ${h}x${w}x${c} images, graft-model.json says ${input.height}x${input.width}x${input.channels}`
            : model.outputs.length !== outputs.length
              ? `the network has ${model.outputs.length} outputs, graft-model.json describes ${outputs.length}`
              : outputs.map((o, i) => (model.outputs[i].shape[1] !== o.classes.length ? `output ${o.head} has ${model.outputs[i].shape[1]} units for ${o.classes.length} classes` : '')).find((p) => p);
    if (problem) {
        model.dispose();
        throw new ModelFolderError(`${folder.dir}: ${problem}; the files do not belong together — re-export the model`);
    }
    // Inference only: the whole network is fixed, so it runs as fused ops (backend/frozen-graph.ts),
    // exactly as the run's own evaluation did.
    const graph = compileFrozenGraph(model);
    return {
        folder,
        metadata,
        model,
        graph,
        dispose: () => {
            graph.dispose();
            model.dispose();
        }
    };
}

/**
 * Expands files and folders (recursively) into image files. Folder entries with other extensions
 * are reported as skipped, as the data pipeline does; files named explicitly are always tried.
 */
export async function listImages(paths: string[]): Promise<{ files: string[]; skipped: SkippedImage[] }> {
    const files: string[] = [];
    const skipped: SkippedImage[] = [];
    const walk = async (dir: string): Promise<void> => {
        let entries;
        try {
            entries = await fs.readdir(dir, { withFileTypes: true });
        } catch (err) {
            skipped.push({ file: dir, reason: `cannot read folder: ${describeError(err)}` });
            return;
        }
        for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
            if (isIgnorable(e.name)) continue;
            const p = join(dir, e.name);
            if (e.isDirectory()) await walk(p);
            else if (IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) files.push(p);
            else skipped.push({ file: p, reason: `not an image file (extension "${extname(e.name) || 'none'}")` });
        }
    };
    for (const p of paths) {
        let isDir = false;
        try {
            isDir = (await fs.stat(p)).isDirectory();
        } catch (err) {
            skipped.push({ file: p, reason: `cannot read: ${describeError(err)}` });
            continue;
        }
        if (isDir) await walk(p);
        else files.push(p);
    }
    return { files, skipped };
}

/** One image file → the model's input values (HWC float32), as training prepared its images. */
export async function preprocessImage(file: string, input: ModelInput): Promise<Float32Array> {
    const px = await decodeSample({ kind: 'file', path: file }, { height: input.height, width: input.width, channels: input.channels });
    const out = new Float32Array(px.length);
    affineInto(px, out, 0, { scale: input.scale, offset: input.offset }, input.channels);
    return out;
}

/** Decodes one file; a reason instead of values when it cannot be used. */
async function prepare(file: string, input: ModelInput): Promise<Float32Array | string> {
    const header = await checkImageFile(file);
    if (header) return header;
    try {
        return await preprocessImage(file, input);
    } catch (err) {
        return `cannot decode: ${describeError(err)}`;
    }
}

function describeOutput(probs: Float32Array, meta: GraftModelMetadata['outputs'][number], top: number): OutputPrediction {
    const probabilities = Array.from(probs);
    const order = probabilities.map((_, i) => i).sort((a, b) => probabilities[b] - probabilities[a] || a - b);
    const scores = order.slice(0, Math.max(1, Math.min(top, probabilities.length))).map((i) => ({ class: meta.classes[i], index: i, probability: probabilities[i] }));
    const predicted =
        meta.task === 'single_label'
            ? [meta.classes[order[0]]]
            : order.filter((i) => probabilities[i] >= (meta.thresholds?.[i] ?? 0.5)).map((i) => meta.classes[i]);
    return { head: meta.head, task: meta.task, top: scores, predicted, probabilities };
}

/** Classifies `files` (paths to image files) in batches; unusable files are skipped with their reason. */
export async function predictFiles(predictor: Predictor, files: string[], options: PredictOptions = {}): Promise<PredictResult> {
    const { metadata, graph } = predictor;
    const { input } = metadata;
    const top = options.top ?? 3;
    const batchSize = Math.max(1, options.batchSize ?? 32);
    const per = input.height * input.width * input.channels;
    const predictions: ImagePrediction[] = [];
    const skipped: SkippedImage[] = [];
    for (let at = 0; at < files.length; at += batchSize) {
        if (options.cancelled?.()) break;
        const chunk = files.slice(at, at + batchSize);
        const prepared = await mapLimit(chunk, defaultConcurrency(), (f) => prepare(f, input));
        const ok: { file: string; values: Float32Array }[] = [];
        prepared.forEach((p, k) => (typeof p === 'string' ? skipped.push({ file: chunk[k], reason: p }) : ok.push({ file: chunk[k], values: p })));
        if (ok.length > 0) {
            const x = new Float32Array(ok.length * per);
            ok.forEach((o, k) => x.set(o.values, k * per));
            const outs = tf.tidy(() => {
                const y = graph.apply(tf.tensor4d(x, [ok.length, input.height, input.width, input.channels]), { training: false }) as tf.Tensor | tf.Tensor[];
                return Array.isArray(y) ? y : [y];
            });
            const values = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
            tf.dispose(outs);
            ok.forEach((o, k) => {
                predictions.push({
                    file: o.file,
                    outputs: metadata.outputs.map((meta, i) => {
                        const n = meta.classes.length;
                        return describeOutput(values[i].subarray(k * n, (k + 1) * n), meta, top);
                    })
                });
            });
        }
        options.progress?.(Math.min(files.length, at + chunk.length), files.length);
    }
    return { predictions, skipped };
}

/** Files and folders → predictions: lists the images, then classifies them. */
export async function predictPaths(predictor: Predictor, paths: string[], options: PredictOptions = {}): Promise<PredictResult> {
    const listed = await listImages(paths);
    const result = await predictFiles(predictor, listed.files, options);
    return { predictions: result.predictions, skipped: [...listed.skipped, ...result.skipped] };
}
