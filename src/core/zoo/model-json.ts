// Reads a tfjs layers `model.json` (Sequential or Functional, Keras 2 or Keras 3 topology,
// nested models flattened into one layer list) into a BackboneDescription: names, classes, the
// graph, shapes by inference and parameters from the weights manifest. No tfjs: the language
// server uses this for `weights "<file>"` and `backbone from "<file>"`.

import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackboneDescription, LayerConfig } from './catalog-types.js';
import { describeGraph, ZooError, type LayerNode } from './graph.js';

export class ModelJsonError extends Error {}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const NESTED = new Set(['Sequential', 'Model', 'Functional']);

function pair(v: unknown, fallback: [number, number]): [number, number] {
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number')) return [v[0] as number, v[1] as number];
    return fallback;
}

/** ZeroPadding2D's `padding`: n, [h, w] or [[top, bottom], [left, right]]. */
function zeroPad(v: unknown): [[number, number], [number, number]] {
    if (typeof v === 'number') return [[v, v], [v, v]];
    if (Array.isArray(v) && v.length === 2) {
        if (typeof v[0] === 'number' && typeof v[1] === 'number') return [[v[0], v[0]], [v[1], v[1]]];
        return [pair(v[0], [1, 1]), pair(v[1], [1, 1])];
    }
    return [[1, 1], [1, 1]];
}

/** The parts of a Keras layer config that shapes and parameters depend on. */
function layerConfig(className: string, c: Json): LayerConfig {
    const config: LayerConfig = {};
    if (typeof c.filters === 'number') config.filters = c.filters;
    if (c.kernel_size !== undefined) config.kernelSize = pair(c.kernel_size, [1, 1]);
    if (c.strides !== undefined) config.strides = pair(c.strides, [1, 1]);
    if (c.pool_size !== undefined) config.poolSize = pair(c.pool_size, [2, 2]);
    if (className === 'ZeroPadding2D') config.pad = zeroPad(c.padding);
    else if (c.padding === 'same' || c.padding === 'valid') config.padding = c.padding;
    if (typeof c.use_bias === 'boolean') config.useBias = c.use_bias;
    if (typeof c.activation === 'string') config.activation = c.activation;
    if (typeof c.depth_multiplier === 'number') config.depthMultiplier = c.depth_multiplier;
    if (typeof c.epsilon === 'number') config.epsilon = c.epsilon;
    if (typeof c.momentum === 'number') config.momentum = c.momentum;
    if (typeof c.max_value === 'number') config.maxValue = c.max_value;
    if (typeof c.units === 'number') config.units = c.units;
    return config;
}

/** Names of the layers a node reads, in Keras 2 (`[[name, node, tensor, kwargs], …]`) or Keras 3 (`{args, kwargs}`) form. */
function inboundNames(inboundNodes: unknown): string[] {
    if (!Array.isArray(inboundNodes) || inboundNodes.length === 0) return [];
    // A shared layer has one node per call; the first call is the one on the backbone's path.
    const node = inboundNodes[0];
    const names: string[] = [];
    const walk = (v: unknown): void => {
        if (Array.isArray(v)) {
            if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
            else v.forEach(walk);
        } else if (isObject(v)) {
            const history = isObject(v.config) ? v.config.keras_history : undefined;
            if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
            else Object.values(v).forEach(walk);
        }
    };
    walk(node);
    return names;
}

function batchShape(c: Json): number[] | undefined {
    const shape = c.batch_input_shape ?? c.batch_shape ?? c.batchInputShape;
    if (!Array.isArray(shape) || shape.length < 2) return undefined;
    return shape.slice(1).map((d) => (typeof d === 'number' ? d : -1));
}

function layerName(layer: Json): string {
    const c = isObject(layer.config) ? layer.config : {};
    const name = layer.name ?? c.name;
    if (typeof name !== 'string') throw new ModelJsonError(`a layer of class ${String(layer.class_name)} has no name`);
    return name;
}

function outputNames(config: Json): string[] {
    const outs = config.output_layers;
    if (!Array.isArray(outs)) return [];
    if (typeof outs[0] === 'string') return [outs[0]];
    return outs.filter(Array.isArray).map((o) => String(o[0]));
}

interface Flattened {
    nodes: LayerNode[];
    /** The name later layers should read for this model's output. */
    output: string;
    inputShape?: number[];
}

/**
 * Flattens one model config. `outerInbound` is what the model's input reads in the enclosing
 * model (undefined at the top level): its InputLayers are then replaced by those layers.
 */
function flatten(className: string, config: unknown, outerInbound: string[] | undefined): Flattened {
    // Keras 2.0-style Sequential configs are a bare list of layers.
    const cfg: Json = Array.isArray(config) ? { layers: config } : isObject(config) ? config : {};
    const layers = Array.isArray(cfg.layers) ? cfg.layers.filter(isObject) : [];
    if (layers.length === 0) throw new ModelJsonError(`the ${className} model has no layers`);
    const nodes: LayerNode[] = [];
    const rename = new Map<string, string[]>();
    let inputShape: number[] | undefined;
    let previous: string[] = outerInbound ?? [];
    const sequential = className === 'Sequential';
    for (const layer of layers) {
        const cls = String(layer.class_name);
        const c = isObject(layer.config) ? layer.config : {};
        const name = layerName(layer);
        inputShape ??= batchShape(c);
        const reads = sequential ? previous : inboundNames(layer.inbound_nodes).flatMap((n) => rename.get(n) ?? [n]);
        if (cls === 'InputLayer' && outerInbound && outerInbound.length > 0) {
            // The nested model's input is the enclosing model's tensor.
            rename.set(name, outerInbound);
            previous = outerInbound;
            continue;
        }
        if (NESTED.has(cls)) {
            const inner = flatten(cls, layer.config, reads);
            nodes.push(...inner.nodes);
            inputShape ??= inner.inputShape;
            rename.set(name, [inner.output]);
            previous = [inner.output];
            continue;
        }
        nodes.push({ name, className: cls, config: layerConfig(cls, c), inbound: cls === 'InputLayer' ? [] : reads });
        previous = [name];
    }
    const declared = outputNames(cfg)[0];
    const output = declared !== undefined ? (rename.get(declared)?.[0] ?? declared) : previous[0];
    return { nodes, output, inputShape };
}

/** Keras-style block names from layer names, so `unfreeze last n blocks` works on exported backbones. */
export function blockOfLayerName(name: string): string | undefined {
    const patterns: [RegExp, (m: RegExpMatchArray) => string][] = [
        [/^(conv\d+_block\d+)_/, (m) => m[1]],
        [/^(block_\d+)_/, (m) => m[1]],
        [/^(expanded_conv)_/, (m) => m[1]],
        [/^conv_(?:dw|pw|pad)_(\d+)(?:_|$)/, (m) => `block_${m[1]}`],
        [/^(block\d+)_/, (m) => m[1]],
        [/^(?:conv1|pool1)(?:_|$)/, () => 'conv1'],
        [/^(?:Conv1|bn_Conv1)(?:_|$)/, () => 'Conv1']
    ];
    for (const [re, block] of patterns) {
        const m = name.match(re);
        if (m) return block(m);
    }
    return undefined;
}

/** Parameters per layer name from the weights manifest (`conv1/kernel`, `model/conv1/kernel`, …). */
function manifestParams(manifest: unknown, names: Set<string>): Map<string, number> {
    const params = new Map<string, number>();
    if (!Array.isArray(manifest)) return params;
    for (const group of manifest.filter(isObject)) {
        for (const w of Array.isArray(group.weights) ? group.weights.filter(isObject) : []) {
            if (typeof w.name !== 'string' || !Array.isArray(w.shape)) continue;
            const parts = w.name.split('/').slice(0, -1);
            const owner = [...parts].reverse().find((p) => names.has(p));
            if (!owner) continue;
            const size = (w.shape as unknown[]).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 0), 1);
            params.set(owner, (params.get(owner) ?? 0) + size);
        }
    }
    return params;
}

/** Describes parsed model.json content; `label` names it in messages (usually the path). */
export function describeModelJsonContent(json: unknown, label: string, cutAt?: string): BackboneDescription {
    if (!isObject(json)) throw new ModelJsonError(`${label} is not a JSON object`);
    const topology = json.modelTopology;
    if (!isObject(topology)) {
        throw new ModelJsonError(`${label} has no "modelTopology": it is not a tfjs layers model${json.format === 'graph-model' ? ' (it is a graph model, which has no layers to name)' : ''}`);
    }
    const modelConfig = isObject(topology.model_config) ? topology.model_config : topology;
    const className = String(modelConfig.class_name);
    if (!NESTED.has(className)) throw new ModelJsonError(`${label}: unsupported model class "${className}" (expected Sequential, Model or Functional)`);
    const flat = flatten(className, modelConfig.config, undefined);
    if (!flat.inputShape || flat.inputShape.some((d) => d < 1)) {
        throw new ModelJsonError(`${label}: the model has no fixed input shape [height, width, channels]`);
    }
    const params = manifestParams(json.weightsManifest, new Set(flat.nodes.map((n) => n.name)));
    const nodes = flat.nodes.map((n) => {
        const block = blockOfLayerName(n.name);
        return { ...n, ...(block ? { block } : {}), ...(params.has(n.name) ? { params: params.get(n.name) } : {}) };
    });
    try {
        return describeGraph(nodes, { arch: 'model.json', label, inputShape: flat.inputShape, output: flat.output, cutAt, source: label, omitConfig: true });
    } catch (e) {
        if (e instanceof ZooError) throw new ModelJsonError(e.message);
        throw e;
    }
}

/** Reads and describes a model.json file. Throws ModelJsonError with the path in the message. */
export function describeModelJson(path: string, cutAt?: string): BackboneDescription {
    const absolute = resolve(path);
    let text: string;
    try {
        text = readFileSync(absolute, 'utf8');
    } catch (e) {
        throw new ModelJsonError(`cannot read ${absolute}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        throw new ModelJsonError(`${absolute} is not valid JSON: ${(e as Error).message}`);
    }
    return describeModelJsonContent(json, absolute, cutAt);
}

interface CacheEntry {
    mtimeMs: number;
    size: number;
    result: { ok: true; description: BackboneDescription } | { ok: false; error: string };
}

const cache = new Map<string, CacheEntry>();

/**
 * describeModelJson with a cache keyed by path and invalidated by mtime/size, so that the editor
 * re-reads a file only when it changed. Never throws: errors come back as `ok: false`.
 */
export function describeModelJsonCached(path: string): CacheEntry['result'] {
    const absolute = resolve(path);
    let stat;
    try {
        stat = statSync(absolute);
    } catch {
        cache.delete(absolute);
        return { ok: false, error: `${absolute} does not exist` };
    }
    const hit = cache.get(absolute);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.result;
    let result: CacheEntry['result'];
    try {
        result = { ok: true, description: describeModelJson(absolute) };
    } catch (e) {
        result = { ok: false, error: (e as Error).message };
    }
    cache.set(absolute, { mtimeMs: stat.mtimeMs, size: stat.size, result });
    return result;
}
