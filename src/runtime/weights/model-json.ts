// tfjs layers model.json files as weight sources and as models: local paths or http(s) URLs
// (downloaded with their weight shards into the cache). tfjs' own file:// handler needs
// tfjs-node, so files are read here and handed to tfjs from memory.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cacheDirFor, fetchToCache, isHttpUrl, sha256Hex, WeightsError } from './download.js';
import type { SourceWeight, WeightSource } from './source.js';

interface ManifestGroup {
    paths: string[];
    weights: tf.io.WeightsManifestEntry[];
}

interface ModelJsonFile {
    modelTopology: object;
    weightsManifest: ManifestGroup[];
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
}

function parse(path: string, origin: string): ModelJsonFile {
    let json: unknown;
    try {
        json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
        throw new WeightsError(`${origin}: cannot read model.json (${(e as Error).message})`);
    }
    const file = json as Partial<ModelJsonFile>;
    if (typeof file !== 'object' || file === null || !file.modelTopology) {
        throw new WeightsError(`${origin} is not a tfjs layers model.json (no modelTopology)`);
    }
    if (!Array.isArray(file.weightsManifest)) throw new WeightsError(`${origin} has no weightsManifest`);
    return file as ModelJsonFile;
}

/**
 * Makes a model.json available on disk: a path is resolved (against `baseDir`), a URL is
 * downloaded with its shards into the cache. `sha256` is checked against the model.json file.
 * Returns the local path of model.json.
 */
export async function localModelJson(location: string, options: { sha256?: string; baseDir?: string; signal?: AbortSignal } = {}): Promise<string> {
    if (!isHttpUrl(location)) {
        const path = resolve(options.baseDir ?? process.cwd(), location);
        if (!existsSync(path)) throw new WeightsError(`${path} does not exist`);
        if (options.sha256) {
            const got = sha256Hex(readFileSync(path));
            if (got !== options.sha256.toLowerCase()) throw new WeightsError(`${path}: sha256 mismatch: expected ${options.sha256.toLowerCase()}, got ${got}`);
        }
        return path;
    }
    const dir = cacheDirFor(location);
    const path = await fetchToCache(location, 'model.json', { sha256: options.sha256, signal: options.signal }, dir);
    const file = parse(path, location);
    for (const group of file.weightsManifest) {
        for (const shard of group.paths) {
            // Shard paths are relative to the model.json URL.
            const shardUrl = new URL(shard, location).toString();
            const local = join(dir, shard);
            if (!resolve(local).startsWith(resolve(dir))) throw new WeightsError(`${location}: weight path ${shard} leaves the model's folder`);
            if (!existsSync(local)) await fetchToCache(shardUrl, shard, { signal: options.signal }, dir);
        }
    }
    return path;
}

function readArtifacts(path: string): tf.io.ModelArtifacts {
    const file = parse(path, path);
    const dir = dirname(path);
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of file.weightsManifest) {
        specs.push(...group.weights);
        for (const shard of group.paths) {
            const shardPath = join(dir, shard);
            let data: Buffer;
            try {
                data = readFileSync(shardPath);
            } catch {
                throw new WeightsError(`${path}: the weight file ${shardPath} is missing`);
            }
            buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
        }
    }
    return {
        modelTopology: file.modelTopology,
        format: file.format,
        generatedBy: file.generatedBy,
        convertedBy: file.convertedBy,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(buffers)
    };
}

/** Reads the weights of a local model.json (all shards) as a weight source, without building the model. */
export function readModelJsonWeights(path: string): WeightSource {
    const artifacts = readArtifacts(path);
    const tensors = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    const weights: SourceWeight[] = [];
    for (const spec of artifacts.weightSpecs!) {
        const tensor = tensors[spec.name];
        const segments = spec.name.split('/');
        weights.push({ path: segments.slice(0, -1), weight: segments[segments.length - 1].replace(/:\d+$/, ''), shape: tensor.shape, values: tensor.dataSync() as Float32Array });
        tensor.dispose();
    }
    return { origin: path, weights };
}

/** Loads a local model.json as a tf.LayersModel (topology and weights). */
export async function loadLayersModelFile(path: string): Promise<tf.LayersModel> {
    const artifacts = readArtifacts(path);
    try {
        return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (e) {
        throw new WeightsError(`${path}: tfjs cannot load this model: ${(e as Error).message}`);
    }
}

/** All layers, with nested models' layers in place of the nested model. */
export function flatLayers(model: tf.LayersModel): tf.layers.Layer[] {
    return model.layers.flatMap((l) => (l instanceof tf.LayersModel ? flatLayers(l) : [l]));
}

/**
 * The model of `backbone from "<model.json>"`: loaded (downloaded first for a URL) and cut at
 * `cutAt` (a layer of the model or of a model nested in it), else the model's own output.
 */
export async function loadBackboneModelJson(location: string, options: { sha256?: string; baseDir?: string; cutAt?: string; signal?: AbortSignal } = {}): Promise<tf.LayersModel> {
    const path = await localModelJson(location, options);
    const model = await loadLayersModelFile(path);
    if (!options.cutAt) return model;
    const cut = options.cutAt;
    const owner = [model, ...model.layers.filter((l): l is tf.LayersModel => l instanceof tf.LayersModel)].find((m) => m.layers.some((l) => l.name === cut));
    if (!owner) throw new WeightsError(`${location} has no layer "${cut}"`);
    return tf.model({ inputs: owner.inputs, outputs: owner.getLayer(cut).output as tf.SymbolicTensor });
}
