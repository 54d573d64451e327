// graft-model.json: what an exported model needs to be used without its spec — the classes of
// each output, the input size, colour mode and normalisation, how images were decoded, the
// decision thresholds of multi-label outputs, and where it came from (Graft version, spec hash,
// run). Written next to model.json by every run (model/ and the spec's `export "<dir>"`), read by
// `graft predict` and the results panel. Versioned: readers refuse a newer major format with a
// message instead of guessing. The format is documented in docs/predict.md.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentPlan, Normalize, Task } from '../../core/plan/types.js';
import { GRAFT_VERSION } from '../../core/version.js';
import { normalizationOf } from '../data/index.js';

export const MODEL_METADATA_FILE = 'graft-model.json';
export const MODEL_METADATA_VERSION = 1;

/** How an image file becomes the model's input; every step is what training did (data/decode.ts, data/normalize.ts). */
export interface ModelInput {
    height: number;
    width: number;
    channels: 1 | 3;
    colorMode: 'grayscale' | 'rgb';
    /** The batch layout the model takes: [batch, height, width, channels], float32. */
    layout: 'NHWC';
    dtype: 'float32';
    /** The preset's name (`normalize` in the spec). */
    normalize: Normalize;
    /** The preset spelled out, per channel: value = pixel · scale[c] + offset[c], pixel in 0..255. */
    scale: number[];
    offset: number[];
    /** The decoding steps, in order, as Graft runs them with sharp (libvips). */
    decode: {
        /** EXIF orientation applied first. */
        autoOrient: true;
        /** Alpha is flattened onto this background before anything else. */
        flattenAlpha: '#000000';
        /** `fill`: stretched to height × width (aspect ratio not kept, nothing cropped), like Keras' load_img(target_size). */
        resize: 'fill';
        /** libvips' default resampling kernel, used by sharp's resize. */
        kernel: 'lanczos3';
        /** grayscale: libvips' greyscale conversion; rgb: converted to sRGB (gray images repeated over 3 channels). */
        colourspace: 'b-w' | 'srgb';
        /** Animated/multi-page files: only the first frame or page. */
        pages: 1;
    };
}

export interface ModelOutput {
    /** The head's name in the spec (`main` for the single unnamed head). */
    head: string;
    /** The output layer's name in model.json (outputs are in this order). */
    layer: string;
    task: Task;
    /** The model outputs probabilities: softmax (single-label) or per-class sigmoid (multi-label). */
    activation: 'softmax' | 'sigmoid';
    /** Class names in output order. */
    classes: string[];
    /** The label column the head learned (CSV datasets); absent = the dataset's default column. */
    labelColumn?: string;
    /** Multi-label only: the decision threshold per class (`threshold` in the spec, or 0.5). */
    thresholds?: number[];
}

export interface GraftModelMetadata {
    format: 'graft-model';
    version: typeof MODEL_METADATA_VERSION;
    /** The Graft version that wrote it. */
    graft: string;
    /** The model file next to this one. */
    model: 'model.json';
    experiment: string;
    dataset: string;
    seed: number;
    /** The run that trained it (absent when built from a run folder's plan, see fromRunFolder). */
    runId?: string;
    /** sha256 of the spec's text as it was when the model was trained, and the spec's file name. */
    spec: { file: string; sha256: string };
    /** The run's cache key (plan + data files): equal keys mean the same experiment on the same data. */
    cacheKey?: string;
    created: string;
    input: ModelInput;
    outputs: ModelOutput[];
}

/** The name of an exported output layer (runs/model-outputs.ts names them so). */
export const outputLayerName = (head: string): string => `${head}_probabilities`;

export function sha256Hex(text: string | Uint8Array): string {
    return createHash('sha256').update(text).digest('hex');
}

export function modelInputOf(plan: ExperimentPlan): ModelInput {
    const { height, width, channels } = plan.data.image;
    const { scale, offset } = normalizationOf(plan.data.normalize, channels);
    return {
        height,
        width,
        channels,
        colorMode: channels === 1 ? 'grayscale' : 'rgb',
        layout: 'NHWC',
        dtype: 'float32',
        normalize: plan.data.normalize,
        scale,
        offset,
        decode: { autoOrient: true, flattenAlpha: '#000000', resize: 'fill', kernel: 'lanczos3', colourspace: channels === 1 ? 'b-w' : 'srgb', pages: 1 }
    };
}

export interface MetadataSource {
    plan: ExperimentPlan;
    /** Class names per head, in head order (results.json `classes`). */
    classes: string[][];
    /** Per head, the thresholds of multi-label heads (results.json `thresholds`). */
    thresholds?: (number[] | undefined)[];
    /** The spec's text as trained (the run folder's spec.graft). */
    specText: string;
    runId?: string;
    cacheKey?: string;
    created?: Date;
}

export function buildModelMetadata(src: MetadataSource): GraftModelMetadata {
    const { plan } = src;
    const heads = plan.head.kind === 'output' ? plan.head.heads : [];
    const outputs: ModelOutput[] = heads.map((h, i) => {
        const task: Task = h.activation === 'softmax' ? 'single_label' : 'multi_label';
        const classes = src.classes[i] ?? [];
        const out: ModelOutput = { head: h.name, layer: outputLayerName(h.name), task, activation: h.activation, classes };
        if (h.labels !== undefined) out.labelColumn = h.labels;
        // A multi-label output needs a decision rule to be usable; without `threshold` Graft's metrics use 0.5.
        if (task === 'multi_label') out.thresholds = src.thresholds?.[i] ?? classes.map(() => 0.5);
        return out;
    });
    const specName = plan.at.file.split(/[\\/]/).pop() ?? plan.at.file;
    return {
        format: 'graft-model',
        version: MODEL_METADATA_VERSION,
        graft: GRAFT_VERSION,
        model: 'model.json',
        experiment: plan.experiment,
        dataset: plan.data.name,
        seed: plan.seed,
        ...(src.runId ? { runId: src.runId } : {}),
        spec: { file: specName, sha256: sha256Hex(src.specText) },
        ...(src.cacheKey ? { cacheKey: src.cacheKey } : {}),
        created: (src.created ?? new Date()).toISOString(),
        input: modelInputOf(plan),
        outputs
    };
}

/** A model folder that cannot be used, with what to do. */
export class ModelFolderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ModelFolderError';
    }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Checks what a reader relies on; returns the metadata or throws a ModelFolderError naming the file and the field. */
export function parseModelMetadata(raw: unknown, file: string): GraftModelMetadata {
    const bad = (what: string): never => {
        throw new ModelFolderError(`${file}: ${what}; re-export the model with this version of Graft (\`graft run\` writes it into the run's model/ folder)`);
    };
    if (!isObj(raw) || raw.format !== 'graft-model') bad('not a Graft model description (format is not "graft-model")');
    const m = raw as Obj;
    if (typeof m.version !== 'number') bad('no version');
    if ((m.version as number) > MODEL_METADATA_VERSION) {
        throw new ModelFolderError(`${file}: written by a newer Graft (${String(m.graft)}, format version ${String(m.version)}; this Graft reads ${MODEL_METADATA_VERSION}); update Graft to use this model`);
    }
    const input = m.input;
    if (!isObj(input)) return bad('no input description');
    const { height, width, channels } = input as Obj;
    if (!Number.isInteger(height) || !Number.isInteger(width) || (height as number) < 1 || (width as number) < 1) bad('input height/width missing or not positive integers');
    if (channels !== 1 && channels !== 3) bad('input channels must be 1 or 3');
    if (!['unit', 'symmetric', 'imagenet', 'none'].includes(input.normalize as string)) bad(`unknown normalisation "${String(input.normalize)}"`);
    if (!isNumbers(input.scale) || !isNumbers(input.offset) || input.scale.length !== channels || input.offset.length !== channels) bad('input scale/offset must have one number per channel');
    if (!Array.isArray(m.outputs) || m.outputs.length === 0) bad('no outputs');
    (m.outputs as unknown[]).forEach((o, i) => {
        if (!isObj(o)) return bad(`outputs[${i}] is not an object`);
        if (typeof o.head !== 'string' || typeof o.layer !== 'string') bad(`outputs[${i}] has no head/layer name`);
        if (o.task !== 'single_label' && o.task !== 'multi_label') bad(`outputs[${i}].task must be single_label or multi_label`);
        if (!isStrings(o.classes) || o.classes.length === 0) bad(`outputs[${i}].classes must be a non-empty list of names`);
        if (o.thresholds !== undefined && (!isNumbers(o.thresholds) || o.thresholds.length !== (o.classes as string[]).length)) bad(`outputs[${i}].thresholds must have one number per class`);
    });
    return m as unknown as GraftModelMetadata;
}

/** Reads `<dir>/graft-model.json`; undefined when the folder has none. */
export function readModelMetadata(dir: string): GraftModelMetadata | undefined {
    const file = join(dir, MODEL_METADATA_FILE);
    if (!existsSync(file)) return undefined;
    let raw: unknown;
    try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
        throw new ModelFolderError(`${file}: not readable JSON (${(err as Error).message}); re-run the experiment to write it again`);
    }
    return parseModelMetadata(raw, file);
}
