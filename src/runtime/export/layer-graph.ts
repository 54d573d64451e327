// The network to export as a list of layers with Graft's names, Keras classes, target-neutral
// configs, wiring and current weights, read from the tfjs model Graft itself builds (backbone as
// `loadBackbone` loads it, heads as `assembleModel` adds them). Reading the built model rather
// than the catalog means every backbone source — zoo, model.json, another experiment's run —
// exports the same way, with the weights Graft would start from.

import type * as tf from '@tensorflow/tfjs';
import type { LayerConfig, LayerSpec, WeightTensor } from './types.js';

type RawConfig = Record<string, unknown>;

const pair = (v: unknown): [number, number] | undefined =>
    Array.isArray(v) ? [Number(v[0]), Number(v[v.length > 1 ? 1 : 0])] : typeof v === 'number' ? [v, v] : undefined;

function activationName(v: unknown): string | undefined {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && 'className' in v) return String((v as { className: unknown }).className);
    return undefined;
}

function padOf(v: unknown): LayerConfig['pad'] {
    if (typeof v === 'number') return [[v, v], [v, v]];
    if (Array.isArray(v) && v.length === 2) {
        const [a, b] = v as unknown[];
        const p = (x: unknown): [number, number] => (Array.isArray(x) ? [Number(x[0]), Number(x[1])] : [Number(x), Number(x)]);
        return [p(a), p(b)];
    }
    return undefined;
}

/** The fields of a tfjs layer config the exporters use. */
export function neutralConfig(raw: RawConfig): LayerConfig {
    const c: LayerConfig = {};
    if (raw.filters !== undefined) c.filters = Number(raw.filters);
    if (raw.kernelSize !== undefined) c.kernelSize = pair(raw.kernelSize);
    if (raw.strides !== undefined) c.strides = pair(raw.strides);
    if (raw.padding === 'same' || raw.padding === 'valid') c.padding = raw.padding;
    else if (raw.padding !== undefined) c.pad = padOf(raw.padding);
    if (raw.dilationRate !== undefined) c.dilation = pair(raw.dilationRate);
    if (raw.useBias !== undefined) c.useBias = Boolean(raw.useBias);
    const act = activationName(raw.activation);
    if (act !== undefined) c.activation = act;
    if (raw.depthMultiplier !== undefined) c.depthMultiplier = Number(raw.depthMultiplier);
    if (raw.epsilon !== undefined) c.epsilon = Number(raw.epsilon);
    if (raw.momentum !== undefined) c.momentum = Number(raw.momentum);
    if (raw.center !== undefined) c.center = Boolean(raw.center);
    if (raw.scale !== undefined) c.scale = Boolean(raw.scale);
    if (typeof raw.maxValue === 'number') c.maxValue = raw.maxValue;
    if (raw.units !== undefined) c.units = Number(raw.units);
    if (raw.poolSize !== undefined) c.poolSize = pair(raw.poolSize);
    if (raw.rate !== undefined) c.rate = Number(raw.rate);
    return c;
}

/** `block1_conv/kernel` → `kernel` (tfjs names weights `<layer>/<param>`, sometimes with a suffix). */
function paramName(weightName: string): string {
    const last = weightName.split('/').pop() ?? weightName;
    return last.replace(/_\d+$/, '');
}

function weightsOf(layer: tf.layers.Layer): WeightTensor[] {
    const values = layer.getWeights();
    return layer.weights.map((w, i) => ({
        param: paramName(w.originalName ?? w.name),
        shape: [...values[i].shape],
        values: values[i].dataSync() as Float32Array
    }));
}

/**
 * Layers of `model` (input → heads' logits) in topological order, each tagged backbone or head
 * by whether it belongs to `backbone`. Only the first inbound node is read: Graft's networks
 * call every layer once.
 */
export function layerGraph(model: tf.LayersModel, backbone: tf.LayersModel): LayerSpec[] {
    const inBackbone = new Set(backbone.layers.map((l) => l.name));
    return model.layers.map((layer) => {
        const node = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes[0];
        const inbound = node ? node.inboundLayers.map((l) => l.name) : [];
        const className = layer.getClassName();
        const inputShape = (layer as unknown as { inputSpec?: unknown; batchInputShape?: number[] }).batchInputShape;
        const firstIn = inbound.length ? model.getLayer(inbound[0]).outputShape : inputShape;
        const drop = (s: unknown): number[] => (Array.isArray(s) && Array.isArray(s[0]) ? (s[0] as number[]) : (s as number[]) ?? []).slice(1).map(Number);
        return {
            name: layer.name,
            className,
            part: className === 'InputLayer' ? 'input' : inBackbone.has(layer.name) ? 'backbone' : 'head',
            inbound,
            inShape: drop(firstIn ?? layer.outputShape),
            outShape: drop(layer.outputShape),
            config: neutralConfig(layer.getConfig() as RawConfig),
            weights: weightsOf(layer)
        };
    });
}
