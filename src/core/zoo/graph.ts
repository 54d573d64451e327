// A backbone as a layer graph (names, classes, configs, inbound names, blocks) and the one
// function that turns such a graph into a BackboneDescription: shapes, parameters, `cut at`,
// blocks. The zoo architectures and model.json topologies both end up here.

import type { BackboneDescription, BlockInfo, LayerConfig, LayerInfo, Shape } from './catalog-types.js';
import { inferLayer, layerFlops, ShapeError } from './shapes.js';
import { editDistance } from '../util/edit-distance.js';

export interface LayerNode {
    name: string;
    className: string;
    config: LayerConfig;
    inbound: string[];
    block?: string;
    /** Overrides the inferred parameter count (model.json: from the weights manifest). */
    params?: number;
}

export class ZooError extends Error {}

/** Builds a graph in Keras' layer order; each `add` returns the new layer's name for chaining. */
export class GraphBuilder {
    readonly nodes: LayerNode[] = [];
    private readonly names = new Set<string>();
    block: string | undefined;

    add(name: string, className: string, config: LayerConfig, inbound: string | string[]): string {
        if (this.names.has(name)) throw new Error(`duplicate layer name ${name}`);
        this.names.add(name);
        this.nodes.push({ name, className, config, inbound: Array.isArray(inbound) ? inbound : [inbound], block: this.block });
        return name;
    }

    /** The input layer, which belongs to no block. */
    input(name: string): string {
        this.names.add(name);
        this.nodes.push({ name, className: 'InputLayer', config: {}, inbound: [] });
        return name;
    }
}

export interface DescribeGraphOptions {
    arch: string;
    label: string;
    inputShape: Shape;
    /** The default feature layer (the architecture's last feature layer). */
    output: string;
    cutAt?: string;
    alpha?: number;
    filters?: number[];
    source?: string;
    /**
     * Leave `config` out of the layers: set for model.json topologies, whose configs are read only
     * as far as shapes need, so that nobody rebuilds a layer from a partial config.
     */
    omitConfig?: boolean;
}

/** Names of `target` and every layer it depends on. */
function ancestors(nodes: LayerNode[], target: string): Set<string> {
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const keep = new Set<string>();
    const stack = [target];
    while (stack.length > 0) {
        const name = stack.pop()!;
        if (keep.has(name)) continue;
        keep.add(name);
        for (const up of byName.get(name)?.inbound ?? []) stack.push(up);
    }
    return keep;
}

function blocksOf(layers: LayerInfo[]): BlockInfo[] {
    const blocks: BlockInfo[] = [];
    const byName = new Map<string, BlockInfo>();
    for (const layer of layers) {
        if (!layer.block) continue;
        const known = byName.get(layer.block);
        if (known) {
            known.last = layer.index;
        } else {
            const block = { name: layer.block, first: layer.index, last: layer.index };
            byName.set(layer.block, block);
            blocks.push(block);
        }
    }
    return blocks;
}

/** Nearest names first (edit distance), for "did you mean" messages. */
export function nearestNames(name: string, candidates: readonly string[], count = 3): string[] {
    return [...candidates].map((c) => ({ c, d: editDistance(name, c) })).sort((x, y) => x.d - y.d).slice(0, count).map((x) => x.c);
}

/**
 * Computes shapes and parameters of every layer, keeps only what the feature layer (`cutAt`, else
 * `output`) depends on, numbers the layers and derives the blocks. Throws ZooError with a message
 * that names the layer when a shape does not work out (e.g. an input too small for the network).
 */
export function describeGraph(nodes: LayerNode[], options: DescribeGraphOptions): BackboneDescription {
    const feature = options.cutAt ?? options.output;
    if (!nodes.some((n) => n.name === feature)) {
        const near = nearestNames(feature, nodes.map((n) => n.name));
        throw new ZooError(`${options.label} has no layer "${feature}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`);
    }
    const keep = ancestors(nodes, feature);
    const shapes = new Map<string, Shape>();
    const layers: LayerInfo[] = [];
    for (const node of nodes) {
        if (!keep.has(node.name)) continue;
        // A layer without inbound layers other than an InputLayer is the first layer of a
        // Sequential model: it reads the model input.
        const inputs = node.inbound.length === 0 && node.className !== 'InputLayer' ? [options.inputShape] : node.inbound.map((name) => {
            const shape = shapes.get(name);
            if (!shape) throw new ZooError(`layer "${node.name}" reads "${name}", which comes later or does not exist`);
            return shape;
        });
        let inferred;
        try {
            inferred = inferLayer(node.className, node.config, inputs, options.inputShape);
        } catch (e) {
            if (e instanceof ShapeError) {
                throw new ZooError(`${options.label} with input ${options.inputShape.join('×')}: layer "${node.name}": ${e.message}`);
            }
            throw e;
        }
        shapes.set(node.name, inferred.outputShape);
        layers.push({
            index: layers.length,
            name: node.name,
            className: node.className,
            ...(node.block ? { block: node.block } : {}),
            outputShape: inferred.outputShape,
            params: node.params ?? inferred.params,
            flops: layerFlops(node.className, node.config, inputs, inferred),
            inbound: [...node.inbound],
            ...(options.omitConfig ? {} : { config: node.config })
        });
    }
    return {
        arch: options.arch,
        label: options.label,
        inputShape: [...options.inputShape],
        layers,
        blocks: blocksOf(layers),
        params: layers.reduce((sum, l) => sum + l.params, 0),
        flops: layers.reduce((sum, l) => sum + (l.flops ?? 0), 0),
        featureLayer: feature,
        featureShape: shapes.get(feature)!,
        ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
        ...(options.filters ? { filters: [...options.filters] } : {}),
        ...(options.source ? { source: options.source } : {})
    };
}

/**
 * Re-cuts an existing description at `layer` (for `backbone <experiment> cut at "…"` and cuts of
 * model.json backbones): keeps the layer and what it depends on, renumbered, with the shapes and
 * parameters already computed. Throws ZooError for an unknown layer.
 */
export function cutDescription(description: BackboneDescription, layer: string): BackboneDescription {
    const names = description.layers.map((l) => l.name);
    if (!names.includes(layer)) {
        const near = nearestNames(layer, names);
        throw new ZooError(`${description.label} has no layer "${layer}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`);
    }
    const nodes: LayerNode[] = description.layers.map((l) => ({
        name: l.name,
        className: l.className,
        config: {},
        // Descriptions without inbound names are chains.
        inbound: l.inbound ?? (l.index === 0 ? [] : [description.layers[l.index - 1].name]),
        block: l.block
    }));
    const keep = ancestors(nodes, layer);
    const layers: LayerInfo[] = description.layers
        .filter((l) => keep.has(l.name))
        .map((l, index) => ({ ...l, index }));
    return {
        ...description,
        layers,
        blocks: blocksOf(layers),
        params: layers.reduce((sum, l) => sum + l.params, 0),
        flops: layers.reduce((sum, l) => sum + (l.flops ?? 0), 0),
        featureLayer: layer,
        featureShape: [...layers[layers.length - 1].outputShape]
    };
}
