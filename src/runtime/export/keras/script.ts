// Renders the Keras project's train.py in the shared layout (../python/script-layout.ts): the
// generated build_model() and the tf.distribute training code.

import type { ExportContext } from '../types.js';
import { trainScriptText } from '../python/script-layout.js';
import { kerasModelCode } from './model-code.js';
import { KERAS_TRAINING } from './runtime-code.js';

/** results.json `engine.name` of a Keras run; `engine.distributed` says which strategy. */
export const KERAS_ENGINE = 'keras';

export function kerasTrainScript(ctx: ExportContext): string {
    return trainScriptText(ctx, {
        target: 'keras',
        engine: KERAS_ENGINE,
        trainsWith: 'Keras under tf.distribute',
        run: [
            'python3 train.py                              # MirroredStrategy: every GPU of this machine (or the CPU)',
            `TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}' \\`,
            '    python3 train.py                          # MultiWorkerMirroredStrategy: one process per machine'
        ],
        imports: ['import tensorflow as tf', 'from tensorflow import keras', 'from tensorflow.keras import layers'],
        network: kerasModelCode(ctx.layers, ctx.plan.experiment),
        training: KERAS_TRAINING
    });
}
