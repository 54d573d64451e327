// Backbone and freezing checks against the shared zoo catalog (small_cnn [8, 16] has the layers
// input_1, block1_conv … block2_pool: indices 0..8, blocks block1 and block2) and model.json files.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFixture, defineCodeCases, listDiagnostics, removeFixture, spec, validate, covered } from './validation-fixture.js';

const SMALL = 'backbone small_cnn filters 8, 16';
const big = (...r: Array<[string, string]>): string => spec(['image 32 x 32', 'image 96 x 96'], ...r);
const freeze = (statement: string): string => spec([`${SMALL}\n`, `${SMALL}\n  ${statement}\n`]);
const SHA = 'a'.repeat(64);

defineCodeCases('backbones and freezing', [
    {
        code: 'unknown-layer',
        name: 'freeze until a layer small_cnn does not have',
        bad: freeze('freeze until "block9_pool"'),
        good: freeze('freeze until "block1_pool"'),
        covers: '"block9_pool"',
        message: /small_cnn \[8, 16\] has no layer "block9_pool" \(did you mean "block1_pool"/
    },
    {
        code: 'unknown-layer',
        name: 'unfreeze from, in a stage',
        bad: spec(['  train {', '  freeze all\n  train {'], [
            '    batch 4\n  }\n',
            '    batch 4\n  }\n  stage ft {\n    unfreeze from "block2_cnv"\n    optimizer adam lr 1e-4\n    epochs 1\n  }\n'
        ]),
        good: spec(['  train {', '  freeze all\n  train {'], [
            '    batch 4\n  }\n',
            '    batch 4\n  }\n  stage ft {\n    unfreeze from "block2_conv"\n    optimizer adam lr 1e-4\n    epochs 1\n  }\n'
        ]),
        covers: '"block2_cnv"'
    },
    {
        code: 'unknown-layer',
        name: 'cut at a layer of a MobileNetV2',
        bad: big(['backbone small_cnn filters 8, 16', 'backbone mobilenet_v2 alpha 0.35 weights none cut at "block_5_ad"']),
        good: big(['backbone small_cnn filters 8, 16', 'backbone mobilenet_v2 alpha 0.35 weights none cut at "block_5_add"']),
        covers: '"block_5_ad"'
    },
    {
        code: 'unknown-layer',
        name: 'a layer cut away by `cut at`',
        bad: spec([SMALL, `${SMALL} cut at "block1_pool"`], ['  head {', '  freeze until "block2_conv"\n  head {']),
        good: spec([SMALL, `${SMALL} cut at "block1_pool"`], ['  head {', '  freeze until "block1_conv"\n  head {']),
        covers: '"block2_conv"',
        message: /before `cut at "block1_pool"`/
    },
    {
        code: 'unknown-layer',
        name: 'a glob that matches nothing (warning)',
        bad: freeze('freeze matching "conv_pw_*"'),
        good: freeze('freeze matching "block1_*"'),
        covers: '"conv_pw_*"',
        severity: 'warning'
    },
    {
        code: 'layer-range',
        name: 'freeze layers beyond the last index',
        bad: freeze('freeze layers 0..100'),
        good: freeze('freeze layers 0..8'),
        covers: '0..100',
        message: /0\.\.8/
    },
    {
        code: 'layer-range',
        name: 'unfreeze more blocks than the backbone has',
        bad: freeze('freeze all\n  unfreeze last 3 blocks'),
        good: freeze('freeze all\n  unfreeze last 2 blocks'),
        covers: '3'
    },
    {
        code: 'alpha-unsupported',
        name: 'an alpha MobileNetV2 does not offer',
        bad: big([SMALL, 'backbone mobilenet_v2 alpha 0.6 weights none']),
        good: big([SMALL, 'backbone mobilenet_v2 alpha 0.5 weights none']),
        covers: '0.6',
        message: /offers 0\.35, 0\.5, 0\.75, 1, 1\.3, 1\.4/
    },
    {
        code: 'alpha-unsupported',
        name: 'an alpha on an architecture without one',
        bad: spec([SMALL, 'backbone vgg16 alpha 0.5']),
        good: spec([SMALL, 'backbone vgg16']),
        covers: '0.5'
    },
    {
        code: 'filters-unsupported',
        name: 'filters on a ResNet',
        bad: big([SMALL, 'backbone resnet18 filters 8, 16']),
        good: big([SMALL, 'backbone resnet18']),
        covers: 'filters'
    },
    {
        code: 'int-required',
        name: 'a fractional filter count',
        bad: spec([SMALL, 'backbone small_cnn filters 8, 16.5']),
        good: spec(),
        covers: '16.5'
    },
    {
        code: 'weights-url',
        name: 'an ftp URL',
        bad: spec([SMALL, `${SMALL} weights "ftp://example.org/model.json"`]),
        good: spec([SMALL, `${SMALL} weights "https://example.org/model.json"`]),
        covers: '"ftp://example.org/model.json"'
    },
    {
        code: 'weights-url',
        name: 'a local file that is not a model.json',
        bad: spec([SMALL, `backbone from "weights/model.h5"`]),
        good: spec([SMALL, `backbone from "https://example.org/model.json"`]),
        covers: '"weights/model.h5"'
    },
    {
        code: 'path-missing',
        name: 'a local model.json that does not exist',
        bad: spec([SMALL, `backbone from "weights/missing/model.json"`]),
        good: spec([SMALL, `backbone from "weights/model.json"`]),
        covers: '"weights/missing/model.json"'
    },
    {
        code: 'sha256',
        name: 'a sha256 that is not 64 hex digits',
        bad: spec([SMALL, `${SMALL} weights "https://example.org/m.json" sha256 "abc"`]),
        good: spec([SMALL, `${SMALL} weights "https://example.org/m.json" sha256 "${SHA}"`]),
        covers: '"abc"'
    },
    {
        code: 'option-mismatch',
        name: 'ImageNet weights for small_cnn',
        bad: spec([SMALL, `${SMALL} weights imagenet`]),
        good: spec([SMALL, `${SMALL} weights none`]),
        covers: 'imagenet'
    },
    {
        code: 'input-shape',
        name: 'an input too small for VGG16',
        bad: spec(['image 32 x 32', 'image 16 x 16'], [SMALL, 'backbone vgg16']),
        good: spec([SMALL, 'backbone vgg16']),
        covers: 'vgg16'
    }
]);

describe('layers of other backbone forms', () => {
    let root = '';
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    test('model.json layer names are checked like zoo names', async () => {
        const bad = await validate(root, freeze('freeze until "stem_rlu"').replace(SMALL, 'backbone from "weights/model.json"'));
        expect(bad.diagnostics.map((d) => d.code)).toEqual(['unknown-layer']);
        expect(bad.diagnostics[0].message).toContain('did you mean "stem_relu"');
        const good = await validate(root, freeze('freeze until "stem_relu"').replace(SMALL, 'backbone from "weights/model.json"'));
        expect(listDiagnostics(good.diagnostics)).toEqual([]);
    });

    test("`backbone <experiment>` checks against that experiment's layers", async () => {
        const text = spec() + '\nexperiment f {\n  data shapes\n  backbone e\n  freeze until "block3_pool"\n  head { output softmax }\n}\n';
        const result = await validate(root, text);
        expect(result.diagnostics.map((d) => d.code)).toEqual(['unknown-layer']);
        expect(covered(result, result.diagnostics[0])).toBe('"block3_pool"');
    });

    test('an unoffered alpha still lets the layer names be checked (names do not depend on alpha)', async () => {
        const result = await validate(root, big([SMALL, 'backbone mobilenet_v2 alpha 0.6 weights none'], ['  head {', '  freeze until "block_99_add"\n  head {']));
        expect(result.diagnostics.map((d) => d.code).sort()).toEqual(['alpha-unsupported', 'unknown-layer']);
    });

    test('a cycle does not make layer checks loop or report', async () => {
        const result = await validate(root, spec([SMALL, 'backbone e'], ['  head {', '  freeze until "nothing"\n  head {']));
        expect(result.diagnostics.map((d) => d.code)).toEqual(['cycle']);
    });
});
