// The zoo registry (src/core/zoo/catalog.ts) is the one place an architecture is described: every
// entry parses as `backbone <arch>` (the grammar's rule is generated from it), validates with its
// defaults, builds a description at its default input, and its published ImageNet weights — or
// their absence — are what the validator and the weights loader both say.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { archsWith, describeZoo, imagenetSourceOf, ZOO_ARCHS, ZOO_INFO } from '../../src/core/zoo/catalog.js';
import { imagenetSource } from '../../src/runtime/weights/imagenet.js';
import { createFixture, removeFixture, spec, validate } from '../language/validation-fixture.js';

describe('the zoo registry', () => {
    let root: string;
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    const backboneLine = '  backbone small_cnn filters 8, 16';

    test.each(ZOO_ARCHS)('%s: described at its default input, with a feature output and blocks', (arch) => {
        const info = ZOO_INFO[arch];
        const d = describeZoo(arch, { inputShape: info.defaultInput });
        expect(d.layers.length).toBeGreaterThan(3);
        expect(d.featureShape).toHaveLength(3);
        expect(d.layers.map((l) => l.name)).toContain(d.featureLayer);
        expect(info.summary.length).toBeGreaterThan(10);
    });

    test.each(ZOO_ARCHS)('%s: `backbone %s` parses and validates on 32×32 data (weights none)', async (arch) => {
        const result = await validate(root, spec([backboneLine, `  backbone ${arch} weights none`]));
        expect(result.diagnostics.filter((d) => d.severity === 1 && !/too small|input/.test(d.message)).map((d) => d.message)).toEqual([]);
    });

    test.each(ZOO_ARCHS)('%s: `weights imagenet` is accepted exactly when the registry publishes weights', async (arch) => {
        const result = await validate(root, spec([backboneLine, `  backbone ${arch} weights imagenet`]));
        const refused = result.diagnostics.some((d) => /no published ImageNet weights/.test(d.message));
        const published = imagenetSourceOf(arch);
        expect(refused).toBe(published === undefined);
        if (published) expect(imagenetSource(arch)).toEqual(published);
        else expect(() => imagenetSource(arch)).toThrow(/no published ImageNet weights/);
    });

    test('options name the architectures that offer them', () => {
        expect(archsWith('alpha')).toEqual(ZOO_ARCHS.filter((a) => ZOO_INFO[a].alphas));
        expect(archsWith('filters')).toEqual(['small_cnn']);
        expect(() => describeZoo('resnet50', { inputShape: [224, 224, 3], alpha: 0.5 })).toThrow(`resnet50 has no alpha (only ${archsWith('alpha').join(' and ')} do)`);
        // the file names Keras uses: str(float(alpha))
        expect(imagenetSourceOf('mobilenet_v2', 1.3)).toMatchObject({ format: 'h5', url: expect.stringContaining('_1.3_224_no_top.h5') });
        expect(imagenetSourceOf('mobilenet_v1', 0.5)).toMatchObject({ format: 'tfjs', url: expect.stringContaining('mobilenet_v1_0.50_224') });
    });
});
