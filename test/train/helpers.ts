// Shared fixtures for the runtime tests: a tiny plan and synthetic, learnable data.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentPlan, StagePlan } from '../../src/core/plan/types.js';
import { describeZoo } from '../../src/core/zoo/catalog.js';
import { TensorFeed, type TrainingData } from '../../src/runtime/train/feed.js';

export const at = { file: '/spec/test.graft', line: 1, column: 1 };

export function stage(partial: Partial<StagePlan> = {}): StagePlan {
    return {
        name: 'train', at, epochs: 2, batch: 8, optimizer: { kind: 'adam', lr: 1e-2 }, schedule: { kind: 'constant' },
        freeze: [], batchnorm: 'frozen', ...partial
    };
}

export function tinyPlan(partial: Partial<ExperimentPlan> = {}): ExperimentPlan {
    const description = describeZoo('small_cnn', { filters: [4, 8], inputShape: [8, 8, 1] });
    return {
        planVersion: 1,
        experiment: 'tiny',
        at,
        data: {
            name: 'synthetic', at, source: { kind: 'mnist' }, task: 'single_label', image: { height: 8, width: 8, channels: 1 },
            normalize: 'unit', stratified: true, augment: {}, balance: 'none'
        },
        backbone: { kind: 'zoo', arch: 'small_cnn', filters: [4, 8], weights: { kind: 'none' }, at, description },
        head: { kind: 'output', heads: [{ name: 'main', at, layers: [{ kind: 'pool', mode: 'average' }, { kind: 'dense', units: 8, activation: 'relu' }, { kind: 'dropout', rate: 0.2 }], activation: 'softmax', weight: 1, loss: { kind: 'crossentropy', smoothing: 0 } }] },
        stages: [stage()],
        metrics: [{ kind: 'accuracy' }],
        evaluate: [{ kind: 'test' }],
        baselines: [],
        seed: 7,
        device: 'cpu',
        dependsOn: [],
        ...partial
    };
}

/** Three classes of 8×8 images: a bright top, middle or bottom band plus seeded noise. */
export function syntheticData(perClass: number, seed = 1): TrainingData {
    let s = seed >>> 0;
    const rand = (): number => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 4294967296;
    };
    const make = (n: number): TensorFeed => {
        const xs = new Float32Array(n * 3 * 64);
        const ys = new Float32Array(n * 3 * 3);
        for (let i = 0; i < n * 3; i++) {
            const c = i % 3;
            for (let p = 0; p < 64; p++) {
                const row = Math.floor(p / 8);
                xs[i * 64 + p] = (Math.floor(row / 3) === c ? 0.8 : 0.1) + 0.2 * rand();
            }
            ys[i * 3 + c] = 1;
        }
        return new TensorFeed(tf.tensor4d(xs, [n * 3, 8, 8, 1]), [tf.tensor2d(ys, [n * 3, 3])], tf);
    };
    return { classes: [['top', 'middle', 'bottom']], train: make(perClass), val: make(Math.max(2, perClass / 2)), evaluation: new Map([['test', make(Math.max(2, perClass / 2))]]), classCounts: [[perClass, perClass, perClass]], skipped: [] };
}
