// The head workload as Graft's runtime runs it: trainPhase (src/runtime/train/trainer.ts) on
// 5,000 1,280-d features behind a frozen (identity) backbone, batch 32, Adam, with the per-step
// work a run does (the feed's shuffled batches, the dense head's step, the plan's `crossentropy`
// loss, the accuracy and loss tally, cancellation checks). This is the `head` row of
// `npm run bench`: what a user's `graft run` gets for the epoch. bench/run.ts' hand loop times the
// same step without the feed.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan } from '../src/core/plan/types.js';
import { TensorFeed } from '../src/runtime/train/feed.js';
import { assembleModel, describeModel } from '../src/runtime/train/model.js';
import { trainPhase, type TrainHooks } from '../src/runtime/train/trainer.js';

const at = { file: 'bench/head-runtime.ts', line: 1, column: 1 };

/** Wall-clock and CPU seconds of each epoch of the runtime's loop (the first includes warm-up). */
export async function runtimeHeadEpochs(n: number, dims: number, classes: number, batch: number, epochs: number): Promise<{ wall: number; cpu: number }[]> {
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
    // float32 one-hot rows, as the data pipeline makes them (tf.oneHot's are int32).
    const labels = tf.cast(tf.oneHot(tf.randomUniform([n], 0, classes, 'int32'), classes), 'float32') as tf.Tensor2D;
    const train = new TensorFeed(features, [labels], tf);
    const seconds: { wall: number; cpu: number }[] = [];
    const cpu = () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
    };
    let cpuMark = 0;
    const hooks: TrainHooks = {
        // The first epoch's CPU time also counts caching the features (it is the warm-up epoch).
        stageStart: () => void (cpuMark = cpu()),
        epoch: (info) => {
            const now = cpu();
            seconds.push({ wall: info.seconds, cpu: now - cpuMark });
            cpuMark = now;
        },
        saveBest: async () => undefined,
        loadBest: async () => false,
        saveState: async () => undefined,
        log: () => undefined,
        cancelled: () => false
    };
    try {
        await trainPhase({ m, plan, data: { classes: [Array.from({ length: classes }, (_, i) => String(i))], train, evaluation: new Map(), classCounts: [], skipped: [] }, phase: 'main', scratch: false, hooks });
    } finally {
        train.dispose();
        m.model.dispose();
    }
    return seconds;
}
