// What a finished experiment leaves for others: model/ (probabilities out, with labels.json) for
// people and `graft export`, backbone/ for experiments that say `backbone <this experiment>`, and
// the spec's `export "<dir>"` copy.

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan } from '../../core/plan/types.js';
import type { AssembledModel } from '../train/model.js';
import { saveLayersModel } from './model-io.js';

/** Model for export: the heads' probabilities (softmax/sigmoid) instead of logits. */
function exportModel(m: AssembledModel): tf.LayersModel {
    const outputs = m.model.outputs.map((o, i) => tf.layers.activation({ activation: m.heads[i].plan.activation, name: `${m.heads[i].plan.name}_probabilities` }).apply(o) as tf.SymbolicTensor);
    return tf.model({ inputs: m.model.inputs, outputs, name: m.model.name });
}

export async function saveTrainedModels(main: AssembledModel, plan: ExperimentPlan, classes: string[][], runDir: string): Promise<void> {
    const heads = plan.head.kind === 'output' ? plan.head.heads : [];
    const labels = JSON.stringify(heads.length === 1 ? classes[0] : Object.fromEntries(heads.map((h, i) => [h.name, classes[i]])), null, 2);
    await saveLayersModel(exportModel(main), join(runDir, 'model'), { 'labels.json': labels });
    await saveLayersModel(main.backbone, join(runDir, 'backbone'));
    if (plan.export) await saveLayersModel(exportModel(main), plan.export, { 'labels.json': labels });
}
