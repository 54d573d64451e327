// Quick fixes, called on the provider directly: each fix applied to the text makes the
// diagnostic go away (and introduces nothing else); diagnostics without an obvious fix get none.
import { TextDocument } from 'langium';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CodeAction, Diagnostic } from 'vscode-languageserver';
import { createFixture, listDiagnostics, removeFixture, services, spec, tagsSpec, validate } from './validation-fixture.js';

let root = '';
beforeAll(() => {
    root = createFixture();
});
afterAll(() => removeFixture(root));

/** Validates `text`, asks for the fixes of its diagnostic with `code`, and returns them with a way to apply one. */
async function fixesFor(text: string, code: string): Promise<{ actions: CodeAction[]; apply: (action: CodeAction) => string; diagnostic: Diagnostic }> {
    const result = await validate(root, text);
    const diagnostic = result.diagnostics.find((d) => d.code === code);
    expect(diagnostic, listDiagnostics(result.diagnostics).join('\n')).toBeDefined();
    const document = result.document;
    const actions = (await services.lsp.CodeActionProvider!.getCodeActions(document, {
        textDocument: { uri: document.textDocument.uri },
        range: diagnostic!.range,
        context: { diagnostics: [diagnostic!] }
    })) as CodeAction[];
    const apply = (action: CodeAction): string => TextDocument.applyEdits(document.textDocument, action.edit!.changes![document.textDocument.uri]);
    return { actions, apply, diagnostic: diagnostic! };
}

async function expectClean(text: string): Promise<void> {
    const result = await validate(root, text);
    expect(listDiagnostics(result.diagnostics)).toEqual([]);
}

describe('quick fixes', () => {
    test('split-sum: the last part absorbs the difference', async () => {
        const { actions, apply } = await fixesFor(spec(['val 20%, test 20%', 'val 20%, test 10%']), 'split-sum');
        expect(actions.map((a) => a.title)).toEqual(['Make test 20% so the split sums to 100%']);
        const fixed = apply(actions[0]);
        expect(fixed).toContain('split train 60%, val 20%, test 20% stratified');
        await expectClean(fixed);
    });

    test('split-sum: an over-full split shrinks its last part', async () => {
        const { actions, apply } = await fixesFor(spec(['val 20%, test 20%', 'val 30%, test 20%']), 'split-sum');
        expect(apply(actions[0])).toContain('split train 60%, val 30%, test 10%');
    });

    test('unknown-layer: the nearest layer names, nearest first', async () => {
        const text = spec(['backbone small_cnn filters 8, 16\n', 'backbone small_cnn filters 8, 16\n  freeze until "block1_pol"\n']);
        const { actions, apply } = await fixesFor(text, 'unknown-layer');
        expect(actions[0].title).toBe('Change to "block1_pool"');
        expect(actions[0].isPreferred).toBe(true);
        expect(actions.length).toBeGreaterThan(1);
        const fixed = apply(actions[0]);
        expect(fixed).toContain('freeze until "block1_pool"');
        await expectClean(fixed);
    });

    test('alpha-unsupported: the nearest offered alpha', async () => {
        const text = spec(['image 32 x 32', 'image 96 x 96'], ['backbone small_cnn filters 8, 16', 'backbone mobilenet_v2 alpha 0.6 weights none']);
        const { actions, apply } = await fixesFor(text, 'alpha-unsupported');
        expect(actions.map((a) => a.title)).toEqual(['Use alpha 0.5', 'Use alpha 0.75', 'Use alpha 0.35']);
        const fixed = apply(actions[0]);
        expect(fixed).toContain('backbone mobilenet_v2 alpha 0.5 weights none');
        await expectClean(fixed);
    });

    test('alpha-unsupported: an architecture without alphas loses the alpha', async () => {
        const { actions, apply } = await fixesFor(spec(['backbone small_cnn filters 8, 16', 'backbone vgg16 alpha 0.5']), 'alpha-unsupported');
        const fixed = apply(actions[0]);
        expect(fixed).toContain('  backbone vgg16\n');
        await expectClean(fixed);
    });

    test('task-activation: softmax → sigmoid on multi-label data, and back on single-label', async () => {
        const toSigmoid = await fixesFor(tagsSpec('softmax'), 'task-activation');
        expect(toSigmoid.actions.map((a) => a.title)).toEqual(['Use sigmoid']);
        const fixed = toSigmoid.apply(toSigmoid.actions[0]);
        expect(fixed).toContain('output sigmoid');
        await expectClean(fixed);

        const toSoftmax = await fixesFor(spec(['output softmax', 'output sigmoid']), 'task-activation');
        expect(toSoftmax.actions.map((a) => a.title)).toEqual(['Use softmax']);
        await expectClean(toSoftmax.apply(toSoftmax.actions[0]));
    });

    test('missing-output: adds `output softmax` on its own line after the last layer', async () => {
        const { actions, apply } = await fixesFor(spec(['    pool average\n    output softmax\n', '    pool average\n']), 'missing-output');
        expect(actions.map((a) => a.title)).toEqual(['Add `output softmax`', 'Add `output sigmoid`']);
        const fixed = apply(actions[0]);
        expect(fixed).toContain('  head {\n    pool average\n    output softmax\n  }');
        await expectClean(fixed);
    });

    test('missing-output: fills an empty one-line head', async () => {
        const { actions, apply } = await fixesFor(spec(['  head {\n    pool average\n    output softmax\n  }', '  head { }']), 'missing-output');
        const fixed = apply(actions[0]);
        expect(fixed).toContain('  head { output softmax }');
        await expectClean(fixed);
    });

    test('finetune-lr: lowers the stage lr to a tenth of the first stage', async () => {
        const text = spec(['    batch 4\n  }\n', '    batch 4\n  }\n  stage ft {\n    unfreeze last 1 blocks\n    optimizer adam lr 1e-2\n    epochs 1\n  }\n']);
        const { actions, apply } = await fixesFor(text, 'finetune-lr');
        expect(actions.map((a) => a.title)).toEqual(['Lower the learning rate to 1e-4']);
        const fixed = apply(actions[0]);
        expect(fixed).toContain('optimizer adam lr 1e-4');
        await expectClean(fixed);
    });

    test('loss-task: switches the loss to the one the output needs', async () => {
        const { actions, apply } = await fixesFor(spec(['  optimizer', '  loss binary_crossentropy\n  optimizer']), 'loss-task');
        const fixed = apply(actions[0]);
        expect(fixed).toContain('loss crossentropy');
        await expectClean(fixed);
    });

    test('no fix where none is obvious (weights URL scheme, lr out of range)', async () => {
        const url = await fixesFor(spec(['backbone small_cnn filters 8, 16', 'backbone small_cnn weights "ftp://example.org/m.json"']), 'weights-url');
        expect(url.actions).toEqual([]);
        const lr = await fixesFor(spec(['lr 1e-3', 'lr 3']), 'lr-range');
        expect(lr.actions).toEqual([]);
    });
});
