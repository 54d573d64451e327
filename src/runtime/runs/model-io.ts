// Weights and models on disk without tfjs-node (whose file:// handler is unavailable here):
// checkpoints as a small manifest + one float32 blob, exported models in the tfjs layers format
// (model.json + weights.bin) that tf.loadLayersModel and the converter understand.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSnapshot } from '../train/optimizers.js';
import { replaceDirAtomic, writeFileAtomic } from './files.js';

interface WeightManifest {
    format: 'graft-weights';
    weights: { name: string; shape: number[] }[];
}

interface OptimizerManifest {
    format: 'graft-optimizer';
    kind: OptimizerSnapshot['kind'];
    groups: { group: 'head' | 'backbone'; signature?: string; step?: number; tensors: { name: string; shape: number[] }[] }[];
}

/** The optimizer state as a manifest and one float32 blob (head group first, then backbone). */
function encodeOptimizer(snapshot: OptimizerSnapshot): { manifest: OptimizerManifest; blob: Float32Array } {
    const groups = (['head', 'backbone'] as const).flatMap((group) => {
        const g = snapshot[group];
        return g ? [{ group, g }] : [];
    });
    const all = groups.flatMap(({ g }) => g.tensors);
    const blob = new Float32Array(all.reduce((n, t) => n + t.values.length, 0));
    let offset = 0;
    for (const t of all) {
        blob.set(t.values, offset);
        offset += t.values.length;
    }
    const manifest: OptimizerManifest = {
        format: 'graft-optimizer',
        kind: snapshot.kind,
        groups: groups.map(({ group, g }) => ({ group, signature: g.signature, step: g.step, tensors: g.tensors.map((t) => ({ name: t.name, shape: t.shape })) }))
    };
    return { manifest, blob };
}

/** The optimizer state saved beside a checkpoint's weights, if any (see saveWeights). */
export function loadOptimizerState(dir: string): OptimizerSnapshot | undefined {
    const manifestPath = join(dir, 'optimizer.json');
    if (!existsSync(manifestPath)) return undefined;
    let manifest: OptimizerManifest;
    try {
        manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as OptimizerManifest;
    } catch (err) {
        throw new Error(`${manifestPath} is not readable JSON (${(err as Error).message})`);
    }
    if (manifest.format !== 'graft-optimizer' || !Array.isArray(manifest.groups)) throw new Error(`${manifestPath} is not a Graft optimizer state`);
    const bytes = readFileSync(join(dir, 'optimizer.bin'));
    const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let offset = 0;
    const snapshot: OptimizerSnapshot = { kind: manifest.kind };
    for (const g of manifest.groups) {
        const tensors = g.tensors.map((t) => {
            const size = t.shape.reduce((a, b) => a * b, 1);
            const values = blob.slice(offset, offset + size);
            offset += size;
            return { name: t.name, shape: t.shape, values };
        });
        if (offset > blob.length) throw new Error(`checkpoint ${dir}: optimizer.bin is shorter than optimizer.json says`);
        snapshot[g.group] = { signature: g.signature, step: g.step, tensors };
    }
    return snapshot;
}

/**
 * Saves every weight of `model` (trainable or not, in model.weights order) into `dir`,
 * atomically, with the optimizer's state when given (so that `--resume` continues its moments).
 */
export async function saveWeights(model: tf.LayersModel, dir: string, optimizer?: OptimizerSnapshot, extraFiles: Record<string, string> = {}): Promise<void> {
    const values = await Promise.all(model.weights.map((w) => w.read().data()));
    const total = values.reduce((s, v) => s + v.length, 0);
    const blob = new Float32Array(total);
    let offset = 0;
    for (const v of values) {
        blob.set(v as Float32Array, offset);
        offset += v.length;
    }
    const manifest: WeightManifest = { format: 'graft-weights', weights: model.weights.map((w) => ({ name: w.originalName ?? w.name, shape: w.shape as number[] })) };
    const opt = optimizer ? encodeOptimizer(optimizer) : undefined;
    replaceDirAtomic(dir, (tmp) => {
        writeFileAtomic(join(tmp, 'weights.json'), JSON.stringify(manifest));
        writeFileAtomic(join(tmp, 'weights.bin'), new Uint8Array(blob.buffer));
        if (opt) {
            writeFileAtomic(join(tmp, 'optimizer.json'), JSON.stringify(opt.manifest));
            writeFileAtomic(join(tmp, 'optimizer.bin'), new Uint8Array(opt.blob.buffer));
        }
        for (const [name, text] of Object.entries(extraFiles)) writeFileAtomic(join(tmp, name), text);
    });
}

/** Loads weights saved by saveWeights into a model of the same architecture; false when absent. */
export function loadWeights(model: tf.LayersModel, dir: string): boolean {
    const manifestPath = join(dir, 'weights.json');
    if (!existsSync(manifestPath)) return false;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as WeightManifest;
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    if (manifest.weights.length !== model.weights.length) {
        throw new Error(`checkpoint ${dir} has ${manifest.weights.length} weights, the model ${model.weights.length}: it belongs to a different network`);
    }
    // Matched by name: model.weights lists trainable weights first, so its order changes with
    // freezing (a run resumed inside a later stage builds the network under the first stage's
    // freezing). By position only for checkpoints whose names do not all match.
    const offsets: number[] = [];
    let total = 0;
    for (const entry of manifest.weights) {
        offsets.push(total);
        total += entry.shape.reduce((a, b) => a * b, 1);
    }
    const keyOf = (w: tf.LayerVariable): string => (w as tf.LayerVariable & { originalName?: string }).originalName ?? w.name;
    const byName = new Map(manifest.weights.map((entry, i) => [entry.name, i]));
    const named = byName.size === manifest.weights.length && model.weights.every((w) => byName.has(keyOf(w)));
    tf.tidy(() => {
        model.weights.forEach((w, i) => {
            const j = named ? byName.get(keyOf(w))! : i;
            const shape = manifest.weights[j].shape;
            const size = shape.reduce((a, b) => a * b, 1);
            if (shape.join(',') !== (w.shape as number[]).join(',')) throw new Error(`checkpoint ${dir}: weight ${manifest.weights[j].name} has shape [${shape}], the model [${w.shape}]`);
            (w.read() as tf.Variable).assign(tf.tensor(blob.subarray(offsets[j], offsets[j] + size), shape));
        });
    });
    return true;
}

/** Writes a layers model as model.json + weights.bin into `dir` (replaced atomically). */
export async function saveLayersModel(model: tf.LayersModel, dir: string, extra?: Record<string, string>): Promise<void> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
        tf.io.withSaveHandler(async (a) => {
            artifacts = a;
            return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        })
    );
    const a = artifacts!;
    const data = a.weightData instanceof ArrayBuffer ? new Uint8Array(a.weightData) : new Uint8Array(tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]));
    const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'graft',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }]
    };
    replaceDirAtomic(dir, (tmp) => {
        writeFileAtomic(join(tmp, 'model.json'), JSON.stringify(modelJson));
        writeFileAtomic(join(tmp, 'weights.bin'), data);
        for (const [name, text] of Object.entries(extra ?? {})) writeFileAtomic(join(tmp, name), text);
    });
}

/** Reads a tfjs layers model.json (and its weight files next to it) from disk. */
export async function loadLayersModelFromDir(modelJsonPath: string): Promise<tf.LayersModel> {
    const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as {
        modelTopology: object;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    };
    const dir = join(modelJsonPath, '..');
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
            const b = readFileSync(join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
        }
    }
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(buffers) }));
}
