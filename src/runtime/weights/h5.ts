// Reads Keras .h5 weight files (the Keras applications' `*_notop.h5`, or a full model saved with
// model.save) with h5wasm, the HDF5 C library compiled to WebAssembly: root attribute
// `layer_names`, one group per layer with attribute `weight_names`, one dataset per weight.

import h5wasm from 'h5wasm/node';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { WeightsError } from './download.js';
import type { SourceWeight, WeightSource } from './source.js';

type H5Group = InstanceType<typeof h5wasm.Group>;

function strings(value: unknown): string[] {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string') return [value];
    return [];
}

/**
 * A list attribute as Keras writes it: `name`, or — when it would exceed HDF5's 64 kB object
 * header limit (models with many layers) — split into `name0`, `name1`, … (Keras'
 * save_attributes_to_hdf5_group / load_attributes_from_hdf5_group).
 */
function listAttribute(group: H5Group, name: string): string[] {
    const attrs = group.attrs as Record<string, { value: unknown } | undefined>;
    if (attrs[name]) return strings(attrs[name]!.value);
    const out: string[] = [];
    for (let i = 0; attrs[`${name}${i}`]; i++) out.push(...strings(attrs[`${name}${i}`]!.value));
    return out;
}

function toFloat32(value: unknown, where: string): Float32Array {
    if (value instanceof Float32Array) return value;
    if (value instanceof Float64Array || value instanceof Int32Array || value instanceof Uint8Array || value instanceof Int8Array || value instanceof Uint16Array || value instanceof Int16Array) {
        return Float32Array.from(value);
    }
    throw new WeightsError(`${where}: unsupported data type for a weight`);
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5's signature sits at byte 0 or, after a user block, at 512, 1024, 2048, …. */
function looksLikeHdf5(path: string): boolean {
    const fd = openSync(path, 'r');
    try {
        const head = Buffer.alloc(8);
        for (let offset = 0; offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
            if (readSync(fd, head, 0, 8, offset) < 8) return false;
            if (head.equals(SIGNATURE)) return true;
        }
        return false;
    } finally {
        closeSync(fd);
    }
}

/** Reads every weight of a Keras .h5 file. Throws WeightsError naming the file when it is not one. */
export async function readH5Weights(path: string): Promise<WeightSource> {
    if (!existsSync(path)) throw new WeightsError(`${path} does not exist`);
    // Checked before HDF5 sees the file: its own errors are cryptic and printed to stderr.
    if (!looksLikeHdf5(path)) throw new WeightsError(`${path} is not an HDF5 file (a Keras .h5 weights file was expected)`);
    await h5wasm.ready;
    let file: InstanceType<typeof h5wasm.File>;
    try {
        file = new h5wasm.File(path, 'r');
    } catch (e) {
        throw new WeightsError(`${path} is not an HDF5 file (${(e as Error).message})`);
    }
    try {
        // A full model keeps its weights under /model_weights; a weights file at the root.
        const nested = file.get('model_weights');
        const root = (nested instanceof h5wasm.Group ? nested : file) as H5Group;
        const layerNames = listAttribute(root, 'layer_names');
        if (layerNames.length === 0) throw new WeightsError(`${path} is not a Keras weights file (no layer_names attribute)`);
        const weights: SourceWeight[] = [];
        for (const layer of layerNames) {
            const group = root.get(layer);
            if (!(group instanceof h5wasm.Group)) continue;
            for (const weightName of listAttribute(group as H5Group, 'weight_names')) {
                const dataset = group.get(weightName);
                if (!(dataset instanceof h5wasm.Dataset)) throw new WeightsError(`${path}: weight ${layer}/${weightName} is listed but missing`);
                const segments = weightName.split('/');
                weights.push({
                    path: [layer, ...segments.slice(0, -1)],
                    weight: segments[segments.length - 1].replace(/:\d+$/, ''),
                    shape: dataset.shape ?? [],
                    values: toFloat32(dataset.value, `${path}: ${layer}/${weightName}`)
                });
            }
        }
        return { origin: path, weights };
    } finally {
        file.close();
    }
}
