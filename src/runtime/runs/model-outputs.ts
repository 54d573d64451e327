// What a finished experiment leaves for others: model/ (probabilities out, with labels.json and
// graft-model.json, the description `graft predict` needs) for people and `graft export`,
// backbone/ for experiments that say `backbone <this experiment>`, and the spec's
// `export "<dir>"` copy of model/.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan } from '../../core/plan/types.js';
import { buildModelMetadata, MODEL_METADATA_FILE, outputLayerName } from '../predict/model-metadata.js';
import type { AssembledModel } from '../train/model.js';
import { saveLayersModel } from './model-io.js';

/** Model for export: the heads' probabilities (softmax/sigmoid) instead of logits. */
function exportModel(m: AssembledModel): tf.LayersModel {
    const outputs = m.model.outputs.map((o, i) => tf.layers.activation({ activation: m.heads[i].plan.activation, name: outputLayerName(m.heads[i].plan.name) }).apply(o) as tf.SymbolicTensor);
    return tf.model({ inputs: m.model.inputs, outputs, name: m.model.name });
}

export interface TrainedModelInfo {
    /** Class names per head, in head order. */
    classes: string[][];
    /** Per head: the multi-label decision thresholds, when the run set them. */
    thresholds?: (number[] | undefined)[];
    runDir: string;
    runId: string;
    cacheKey: string;
}

export async function saveTrainedModels(main: AssembledModel, plan: ExperimentPlan, info: TrainedModelInfo): Promise<void> {
    const { classes, runDir } = info;
    const heads = plan.head.kind === 'output' ? plan.head.heads : [];
    const labels = JSON.stringify(heads.length === 1 ? classes[0] : Object.fromEntries(heads.map((h, i) => [h.name, classes[i]])), null, 2);
    // The spec as trained is the run folder's copy (the file itself may have been edited since).
    let specText: string;
    try {
        specText = readFileSync(join(runDir, 'spec.graft'), 'utf8');
    } catch {
        specText = readFileSync(plan.at.file, 'utf8');
    }
    const metadata = buildModelMetadata({ plan, classes, thresholds: info.thresholds, specText, runId: info.runId, cacheKey: info.cacheKey });
    const extra = { 'labels.json': labels, [MODEL_METADATA_FILE]: `${JSON.stringify(metadata, null, 2)}\n` };
    await saveLayersModel(exportModel(main), join(runDir, 'model'), extra);
    await saveLayersModel(main.backbone, join(runDir, 'backbone'));
    if (plan.export) await saveLayersModel(exportModel(main), plan.export, extra);
}
