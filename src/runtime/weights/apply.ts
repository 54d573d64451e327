// Puts a backbone's starting weights in place as the plan says: none, ImageNet (published files,
// downloaded once) or a model.json from a path or URL. The one entry point the trainer calls.

import type * as tf from '@tensorflow/tfjs';
import type { WeightsPlan } from '../../core/plan/types.js';
import type { ZooArch } from '../../core/zoo/catalog.js';
import { fetchToCache, fileNameOf } from './download.js';
import { readH5Weights } from './h5.js';
import { imagenetSource } from './imagenet.js';
import { localModelJson, readModelJsonWeights } from './model-json.js';
import { assertUsable, copyWeightsByName, type CopyReport, type WeightSource } from './source.js';

/** Reads a model.json (path or URL, with its shards) as a weight source. */
export async function modelJsonWeightSource(location: string, options: { sha256?: string; baseDir?: string; signal?: AbortSignal } = {}): Promise<WeightSource> {
    const path = await localModelJson(location, options);
    const source = readModelJsonWeights(path);
    return { ...source, origin: location };
}

/** The published ImageNet weights of a zoo architecture as a weight source (downloaded once). */
export async function imagenetWeightSource(arch: ZooArch, alpha?: number, signal?: AbortSignal): Promise<WeightSource> {
    const published = imagenetSource(arch, alpha);
    if (published.format === 'tfjs') return modelJsonWeightSource(published.url, { signal });
    const path = await fetchToCache(published.url, fileNameOf(published.url), { md5: published.md5, signal });
    return { ...(await readH5Weights(path)), origin: published.url };
}

/**
 * Sets the starting weights of a built zoo backbone. Returns the copy report (undefined for
 * `weights none`); throws WeightsError when a download fails (naming the URL and the cache path)
 * or the weights do not fit (naming the layers).
 */
export async function applyWeights(model: tf.LayersModel, weights: WeightsPlan, zoo: { arch: ZooArch; alpha?: number }, options: { baseDir?: string; signal?: AbortSignal } = {}): Promise<CopyReport | undefined> {
    let source: WeightSource;
    switch (weights.kind) {
        case 'none':
            return undefined;
        case 'imagenet':
            source = await imagenetWeightSource(zoo.arch, zoo.alpha, options.signal);
            break;
        case 'model_json':
            source = await modelJsonWeightSource(weights.location, { sha256: weights.sha256, baseDir: options.baseDir, signal: options.signal });
            break;
    }
    const report = copyWeightsByName(model, source);
    assertUsable(report);
    return report;
}
