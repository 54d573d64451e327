// The plan builder resolves every default and freezing statement of the reference examples.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { buildPlans } from '../../src/language/plan/build.js';

const examples = join(import.meta.dirname, '../../examples');

describe('plans of the reference examples', async () => {
    const set = await buildPlans([examples]);

    test('every experiment and sweep is planned', () => {
        expect(set.planErrors).toEqual(new Map());
        expect([...set.experiments.keys()].sort()).toEqual([
            'clean_only', 'clean_to_shifted', 'digits_pretrain', 'digits_prototypes', 'digits_transfer',
            'fashion_from_digits', 'fashion_from_noise', 'fashion_mobilenet', 'noise_pretrain', 'scene_tags', 'scene_tags_and_count'
        ]);
        expect([...set.sweeps.keys()]).toEqual(['digits_lr']);
    });

    test('digits_transfer: mnist data, experiment backbone, frozen, defaults resolved', () => {
        const p = set.experiments.get('digits_transfer')!;
        expect(p.data.source).toEqual({ kind: 'mnist' });
        expect(p.data.classes).toEqual(['5', '6', '7', '8', '9']);
        expect(p.data.image).toEqual({ height: 28, width: 28, channels: 1 });
        expect(p.data.split).toEqual({ train: 0.4, val: 0.2, test: 0.4 });
        expect(p.data.shots).toBe(10);
        expect(p.backbone.kind).toBe('experiment');
        expect(p.dependsOn).toEqual(['digits_pretrain']);
        expect(p.stages).toHaveLength(1);
        expect(p.stages[0]).toMatchObject({ name: 'train', epochs: 30, batch: 16, optimizer: { kind: 'adam', lr: 3e-3 }, schedule: { kind: 'constant' }, batchnorm: 'frozen' });
        expect(p.stages[0].trainableLayers).toEqual([]);
        expect(p.stages[0].trainableParams).toBe(0);
        expect(p.head).toMatchObject({ kind: 'output', heads: [{ name: 'main', activation: 'softmax', loss: { kind: 'crossentropy', smoothing: 0.1 } }] });
        expect(p.baselines).toEqual(['scratch', 'random_features']);
        expect(p.evaluate).toEqual([{ kind: 'test' }]);
        expect(p.metrics).toEqual([{ kind: 'accuracy' }, { kind: 'f1', average: 'macro' }, { kind: 'confusion' }]);
        expect(p.seed).toBe(1);
    });

    test('fashion_from_digits: the fine-tune stage unfreezes the last block and inherits settings', () => {
        const p = set.experiments.get('fashion_from_digits')!;
        const [train, fine] = p.stages;
        expect(train.trainableLayers).toEqual([]);
        expect(fine.name).toBe('fine_tune');
        expect(fine.trainableLayers).toEqual(['block3_conv', 'block3_bn', 'block3_relu', 'block3_pool']);
        expect(fine.trainableParams).toBeGreaterThan(0);
        expect(fine.optimizer).toEqual({ kind: 'adam', lr: 1e-4 });
        expect(fine.epochs).toBe(4);
        expect(fine.batch).toBe(32);
        expect(fine.schedule).toEqual({ kind: 'cosine', warmup: 1 });
        expect(fine.earlyStop).toEqual({ monitor: 'val_loss', patience: 3, minDelta: 0 });
        expect(p.export).toBe(join(examples, 'out/fashion_from_digits'));
        expect(p.data.augment).toEqual({ flip: 'horizontal', shift: 0.1, brightness: 0.2 });
    });

    test('fashion_mobilenet: unfreeze from block_13_expand trains exactly the top of MobileNetV2', () => {
        const p = set.experiments.get('fashion_mobilenet')!;
        const fine = p.stages[1];
        expect(fine.trainableLayers![0]).toBe('block_13_expand');
        expect(fine.trainableLayers!.at(-1)).toBe('out_relu');
        expect(p.backbone).toMatchObject({ kind: 'zoo', arch: 'mobilenet_v2', alpha: 0.35, weights: { kind: 'imagenet' } });
    });

    test('multi-task heads bind label columns and weights with loss defaults per activation', () => {
        const p = set.experiments.get('scene_tags_and_count')!;
        expect(p.head).toMatchObject({
            kind: 'output',
            heads: [
                { name: 'tags', activation: 'sigmoid', labels: 'labels', weight: 1, loss: { kind: 'binary_crossentropy' } },
                { name: 'count', activation: 'softmax', labels: 'count', weight: 0.5, loss: { kind: 'crossentropy', smoothing: 0 } }
            ]
        });
        const tags = set.experiments.get('scene_tags')!;
        expect(tags.threshold).toEqual({ kind: 'tuned', perClass: false });
        expect(tags.head).toMatchObject({ heads: [{ loss: { kind: 'focal', gamma: 2 } }] });
        expect(tags.stages[0].optimizer).toEqual({ kind: 'adamw', lr: 2e-3, decay: 1e-4 });
    });

    test('prototypes, adaptation and sweeps', () => {
        const proto = set.experiments.get('digits_prototypes')!;
        expect(proto.head).toMatchObject({ kind: 'prototypes', distance: 'cosine' });
        expect(proto.stages).toEqual([]);
        expect(proto.evaluate).toEqual([{ kind: 'episodes', episodes: 200, way: 5, shot: 1, query: 15 }]);
        const adapt = set.experiments.get('clean_to_shifted')!;
        expect(adapt.adapt).toMatchObject({ method: 'coral', weight: 1, target: { name: 'shifted' } });
        expect(adapt.evaluate).toMatchObject([{ kind: 'dataset', dataset: { name: 'shifted' } }]);
        const sweep = set.sweeps.get('digits_lr')!;
        expect(sweep).toMatchObject({ experiment: 'digits_transfer', vary: [{ param: 'lr', values: [1e-2, 3e-3, 1e-3] }, { param: 'batch', values: [8, 16] }], objective: { direction: 'max', monitor: 'val_accuracy' } });
    });
});
