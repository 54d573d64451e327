// The Keras target: train.py (a custom training loop under tf.distribute's MirroredStrategy or
// MultiWorkerMirroredStrategy), the initial weights in Keras' own layout (weights/*.npy +
// index.json, set layer by layer), requirements.txt and README.md. Data, split, plan and the
// results template come from the shared framework.

import type { ExportContext, ExportTarget, ProjectFile } from '../types.js';
import { npyBytes } from '../npy.js';
import { kerasModelRefusals } from './model-code.js';
import { kerasReadme } from './readme.js';
import { KERAS_ENGINE, kerasTrainScript } from './script.js';

/** One .npy per weight tensor, named `<layer>.<param>.npy`, listed per layer in Keras' weight order. */
function weightFiles(ctx: ExportContext): ProjectFile[] {
    const files: ProjectFile[] = [];
    const index: Record<string, { className: string; tensors: { param: string; file: string; shape: number[] }[] }> = {};
    for (const l of ctx.layers) {
        if (!l.weights.length) continue;
        index[l.name] = { className: l.className, tensors: [] };
        for (const w of l.weights) {
            const file = `${l.name}.${w.param}.npy`;
            files.push({ path: `weights/${file}`, content: npyBytes(w.values, w.shape) });
            index[l.name]!.tensors.push({ param: w.param, file, shape: w.shape });
        }
    }
    files.push({
        path: 'weights/index.json',
        content: JSON.stringify({ format: "Keras layer weights in get_weights() order: one float32 .npy per tensor (Graft's own layout, no conversion)", source: ctx.weightsSource, layers: index }, null, 2) + '\n'
    });
    return files;
}

export const kerasTarget: ExportTarget = {
    name: 'keras',
    engine: KERAS_ENGINE,
    refusals: ({ plan, layers }) => kerasModelRefusals(plan, layers),
    files: (ctx) => [
        { path: 'train.py', content: kerasTrainScript(ctx) },
        { path: 'requirements.txt', content: '# TensorFlow 2.12-2.15 (tf.keras is Keras 2 there; the optimizers take skip_gradients_aggregation)\ntensorflow>=2.12,<2.16\nnumpy>=1.21\n' },
        { path: 'README.md', content: kerasReadme(ctx) },
        ...weightFiles(ctx)
    ]
};
