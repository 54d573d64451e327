// The head workload as Graft's runtime runs it: trainPhase (src/runtime/train/trainer.ts) on
// 5,000 cached 1,280-d features, batch 32, Adam, with the per-step work a run does (layers-model
// head, the plan's `crossentropy` loss, the accuracy and loss tally, cancellation checks).
// bench/run.ts' own head loop is a lean hand-written one (same loss and optimizer); this says
// what a user's `graft run` gets for the same epoch.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan } from '../src/core/plan/types.js';
import { TensorFeed } from '../src/runtime/train/feed.js';
import { assembleModel, describeModel } from '../src/runtime/train/model.js';
import { trainPhase, type TrainHooks } from '../src/runtime/train/trainer.js';

const at = { file: 'bench/head-runtime.ts', line: 1, column: 1 };

/** Seconds of each epoch of the runtime's loop (the first includes warm-up). */
export async function runtimeHeadEpochs(n: number, dims: number, classes: number, batch: number, epochs: number): Promise<number[]> {
    // The "backbone" is the cached features themselves: an input and a weightless identity layer.
    const input = tf.input({ shape: [dims], name: 'features_in' });
    const backbone = tf.model({ inputs: input, outputs: tf.layers.activation({ activation: 'linear', name: 'features' }).apply(input) as tf.SymbolicTensor });
    const description = describeModel(backbone, 'cached features');
    const plan: ExperimentPlan = {
        planVersion: 1,
        experiment: 'bench_head',
        at,
        data: { name: 'cached', at, source: { kind: 'mnist' }, task: 'single_label', image: { height: 1, width: 1, channels: 1 }, normalize: 'unit', stratified: true, augment: {}, balance: 'none' },
        backbone: { kind: 'file', location: 'features', at, description },
        head: { kind: 'output', heads: [{ name: 'main', at, layers: [], activation: 'softmax', weight: 1, loss: { kind: 'crossentropy', smoothing: 0 } }] },
        stages: [{ name: 'train', at, epochs, batch, optimizer: { kind: 'adam', lr: 1e-3 }, schedule: { kind: 'constant' }, freeze: [], batchnorm: 'frozen' }],
        metrics: [{ kind: 'accuracy' }],
        evaluate: [],
        baselines: [],
        seed: 1,
        device: 'auto',
        dependsOn: []
    };
    const m = assembleModel(backbone, plan, () => classes, description);
    const features = tf.randomNormal([n, dims]);
    const labels = tf.oneHot(tf.randomUniform([n], 0, classes, 'int32'), classes) as tf.Tensor2D;
    const train = new TensorFeed(features, [labels], tf);
    const seconds: number[] = [];
    const hooks: TrainHooks = {
        stageStart: () => undefined,
        epoch: (info) => void seconds.push(info.seconds),
        saveBest: async () => undefined,
        loadBest: async () => false,
        saveState: async () => undefined,
        log: () => undefined,
        cancelled: () => false
    };
    try {
        await trainPhase({ m, plan, data: { classes: [Array.from({ length: classes }, (_, i) => String(i))], train, evaluation: new Map(), classCounts: [], skipped: [] }, phase: 'main', scratch: false, hooks, cacheFeatures: false });
    } finally {
        train.dispose();
        m.model.dispose();
    }
    return seconds;
}
