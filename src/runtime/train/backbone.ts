// Builds the backbone a plan asks for, as a tfjs layers model (input → feature map):
// a zoo architecture (seeded initialisation, optionally with weights copied in by layer name),
// a model.json file, or another experiment's exported backbone. `scratch` gives the same
// network with fresh random weights (for `baseline scratch`).

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan, SpecLoc } from '../../core/plan/types.js';
import type { BackboneDescription } from '../../core/zoo/catalog-types.js';
import { describeZoo } from '../../core/zoo/catalog.js';
import { buildBackbone } from '../zoo/build.js';
import { loadLayersModelFromDir } from '../runs/model-io.js';
import { cutBackbone, describeModel, initializeWeights, SpecError } from './model.js';

export interface BackboneContext {
    /** model.json of an experiment's exported backbone, training it first when needed. */
    experimentBackbone(name: string): Promise<string>;
    /** Loads a model.json from a path or URL (weights module: cache, sha256). */
    loadModelJson(location: string, sha256: string | undefined, at: SpecLoc): Promise<tf.LayersModel>;
    /** Copies `weights imagenet` / `weights "<model.json>"` into a built zoo backbone by layer name. */
    applyZooWeights(model: tf.LayersModel, plan: ExperimentPlan): Promise<void>;
}

export interface LoadedBackbone {
    model: tf.LayersModel;
    description: BackboneDescription;
}

/** Local model.json loading, used when no weights module is wired in. */
export async function loadLocalModelJson(location: string, at: SpecLoc): Promise<tf.LayersModel> {
    if (/^https?:\/\//i.test(location)) throw new SpecError(`loading ${location} needs the weights module (URL download and cache)`, at);
    if (!existsSync(location)) throw new SpecError(`model.json not found: ${location}`, at);
    return loadLayersModelFromDir(location);
}

/** Copies weights from `source` into `target` layer by layer, matching names; every target layer with weights must be found. */
export function copyWeightsByName(source: tf.LayersModel, target: tf.LayersModel, what: string, at: SpecLoc): void {
    const byName = new Map(source.layers.map((l) => [l.name, l]));
    for (const layer of target.layers) {
        if (layer.weights.length === 0) continue;
        const from = byName.get(layer.name);
        if (!from) throw new SpecError(`${what} has no layer "${layer.name}"`, at);
        const values = from.getWeights();
        if (values.length !== layer.weights.length) throw new SpecError(`${what}: layer "${layer.name}" has ${values.length} weights, the backbone needs ${layer.weights.length}`, at);
        layer.weights.forEach((w, i) => {
            if (w.shape.join(',') !== values[i].shape.join(',')) {
                throw new SpecError(`${what}: layer "${layer.name}" weight ${w.name} has shape [${values[i].shape}], the backbone needs [${w.shape}]`, at);
            }
        });
        layer.setWeights(values);
    }
}

function inputShape(plan: ExperimentPlan): number[] {
    return [plan.data.image.height, plan.data.image.width, plan.data.image.channels];
}

export async function loadBackbone(plan: ExperimentPlan, ctx: BackboneContext, scratch: boolean): Promise<LoadedBackbone> {
    const b = plan.backbone;
    const seed = plan.seed;
    if (b.kind === 'zoo') {
        const description = b.description ?? describeZoo(b.arch, { alpha: b.alpha, filters: b.filters, inputShape: inputShape(plan), cutAt: b.cutAt });
        const model = buildBackbone(description, { seed: seed * 7919 + (scratch ? 1 : 0) });
        if (!scratch && b.weights.kind !== 'none') await ctx.applyZooWeights(model, plan);
        return { model, description };
    }
    let source: tf.LayersModel;
    let what: string;
    if (b.kind === 'file') {
        source = await ctx.loadModelJson(b.location, b.sha256, b.at);
        what = b.location;
    } else {
        const path = await ctx.experimentBackbone(b.experiment);
        source = await loadLayersModelFromDir(path);
        what = `the backbone exported by ${b.experiment}`;
    }
    // With a description (the catalog's architecture at this experiment's input size), rebuild and
    // copy by name: a fully convolutional backbone then works at a new image size too.
    if (b.description && b.description.layers.every((l) => l.className === 'InputLayer' || l.config)) {
        const model = buildBackbone(b.description, { seed });
        if (!scratch) copyWeightsByName(source, model, what, b.at);
        source.dispose();
        return { model, description: b.description };
    }
    let model = b.cutAt ? cutBackbone(source, b.cutAt, b.at) : source;
    const expected = inputShape(plan);
    const actual = model.inputs[0].shape.slice(1);
    if (actual.join(',') !== expected.join(',')) {
        throw new SpecError(`${what} takes images of [${actual.join(', ')}], the data gives [${expected.join(', ')}]; change the dataset's \`image\` statement`, b.at);
    }
    if (scratch) initializeWeights(model.layers, seed + 1);
    const description = b.description ?? describeModel(model, what);
    model = model as tf.LayersModel;
    return { model, description };
}
