// The plan as Python data at the top of every exported train.py, whatever the engine: every
// hyperparameter of every stage as Graft resolved it, the data's normalisation and augmentation,
// the head, the layer lists and the metrics. Targets add their network and training code below.

import type { ExportContext } from '../types.js';
import { affineFor } from '../../data/normalize.js';
import { pyLiteral } from '../pytorch/py-literal.js';

export function stageConfig(ctx: ExportContext): unknown[] {
    return ctx.plan.stages.map((s, i) => {
        const resolved = ctx.stages[i];
        return {
            name: s.name,
            at: `${ctx.specDisplay}:${s.at.line}:${s.at.column}`,
            epochs: s.epochs,
            batch: s.batch,
            optimizer: { ...s.optimizer },
            backbone_lr: s.backboneLr ?? null,
            schedule: { ...s.schedule },
            early_stop: s.earlyStop ? { monitor: s.earlyStop.monitor, patience: s.earlyStop.patience, min_delta: s.earlyStop.minDelta } : null,
            checkpoint: s.checkpoint ? { monitor: s.checkpoint.monitor } : null,
            clip_norm: s.clipNorm ?? null,
            batchnorm: s.batchnorm,
            trainable_layers: resolved.trainableLayers,
            trainable_params: resolved.trainableParams
        };
    });
}

/** The constants block; `engine` is the value of ENGINE (results.json `engine.name`). */
export function planConstants(ctx: ExportContext, engine: string): string {
    const { plan, head } = ctx;
    const data = plan.data;
    const norm = affineFor(data.normalize, data.image.channels);
    const line = (name: string, value: unknown, comment?: string) => `${comment ? `# ${comment}\n` : ''}${name} = ${pyLiteral(value)}`;
    return [
        line('EXPERIMENT', plan.experiment),
        line('ENGINE', engine),
        line('SEED', plan.seed),
        line('RUNS_ROOT', ctx.runsRoot, "Graft's runs folder at export time (override with --runs-dir)"),
        line('CLASSES', ctx.classes),
        line('TRAIN_COUNTS', ctx.trainCounts, 'training images per class'),
        line('IMAGE', data.image),
        line('SPLITS', Object.fromEntries(ctx.splits.map((s) => [s.split, { images: s.images, labels: s.labels, count: s.count }]))),
        line('NORMALIZE', { preset: data.normalize, scale: norm.scale, offset: norm.offset }, `normalize ${data.normalize}: value = pixel (0..255) * scale + offset, per channel`),
        line('AUGMENT', data.augment, 'training batches only, on [0, 1] values before normalisation (noise after)'),
        line('BALANCE', data.balance),
        line('HEAD', { name: head.name, activation: head.activation, loss: head.loss, layers: head.layers }),
        line('PRETRAINED', ctx.pretrained, 'the backbone starts from trained weights (batchnorm frozen keeps their statistics)'),
        line('FEATURE_LAYER', ctx.featureLayer),
        line('BACKBONE_LAYERS', ctx.layers.filter((l) => l.part === 'backbone').map((l) => l.name)),
        line('HEAD_LAYERS', ctx.layers.filter((l) => l.part === 'head').map((l) => l.name)),
        line('STAGES', stageConfig(ctx), '`train` then each `stage`; trainable_layers = backbone layers whose weights train (resolved by Graft)'),
        line('METRICS', plan.metrics),
        line('EVALUATE', plan.evaluate.map((e) => e.kind)),
        line('PRECISE_BN_BATCHES', 50, 'batches over which BatchNorm statistics are recomputed at the end of a stage')
    ].join('\n');
}
