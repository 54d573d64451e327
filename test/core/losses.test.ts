// The loss registry is the one place a loss is described: every entry parses as the spec writes
// it (the grammar rule is generated from it), gets its defaults in the plan, has its option
// ranges checked by the validator, its hover text, a TextMate scope, and a runtime
// implementation that trains (finite loss, finite gradients). A new entry is covered by these
// tests without editing them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_LOSS, inRange, LOSS_KINDS, LOSSES, lossFits, lossPlan, lossText, optionsOf, rangeText, type LossPlan } from '../../src/core/losses.js';
import { keywordDoc } from '../../src/language/lsp/keyword-docs.js';
import { loss, LOSS_IMPLEMENTATIONS } from '../../src/runtime/train/losses.js';
import { createFixture, removeFixture, spec, validate } from '../language/validation-fixture.js';

const ROOT = join(import.meta.dirname, '../..');

/** `loss <kind> <option> <value> …` with every option at a value inside its range. */
function statement(kind: (typeof LOSS_KINDS)[number], values: (o: ReturnType<typeof optionsOf>[number][1]) => number): string {
    return ['loss', kind, ...optionsOf(kind).flatMap(([name, o]) => [name, String(values(o))])].join(' ');
}
/** The base spec with `line` before its optimizer, validated on the fixture data. */
async function diagnosticsWith(root: string, line: string) {
    return (await validate(root, spec(['  optimizer adam lr 1e-3', `  ${line}\n  optimizer adam lr 1e-3`]))).diagnostics;
}
const inside = (o: { min: number; max?: number; default?: number }) => o.default ?? (o.max !== undefined ? (o.min + o.max) / 2 : o.min + 1);

describe('the loss registry', () => {
    test('the grammar and the TextMate grammar are generated from it and current', () => {
        expect(() => execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/registry-rules.ts'), '--check'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
    });

    test('defaults: each activation has a default loss that fits it; plans fill option defaults', () => {
        expect(lossFits(DEFAULT_LOSS.softmax, 'softmax')).toBe(true);
        expect(lossFits(DEFAULT_LOSS.sigmoid, 'sigmoid')).toBe(true);
        expect(lossPlan('focal', {})).toEqual({ kind: 'focal', gamma: 2 });
        expect(lossPlan('focal', { alpha: 0.25 })).toEqual({ kind: 'focal', gamma: 2, alpha: 0.25 });
        expect(lossPlan('crossentropy', {})).toEqual({ kind: 'crossentropy', smoothing: 0 });
        expect(lossText({ kind: 'crossentropy', smoothing: 0 })).toBe('crossentropy');
        expect(lossText({ kind: 'focal', gamma: 2, alpha: 0.25 })).toBe('focal gamma 2 alpha 0.25');
        expect(rangeText(LOSSES.crossentropy.options.smoothing)).toBe('in [0, 1)');
        expect(inRange(LOSSES.crossentropy.options.smoothing, 1)).toBe(false);
    });

    test.each(LOSS_KINDS)('%s: hover text for the loss and each option', (kind) => {
        expect(keywordDoc(kind, 'LossProp')).toBe(LOSSES[kind].doc);
        for (const [name, o] of optionsOf(kind)) expect(keywordDoc(name, 'LossProp')).toContain(rangeText(o));
        expect(keywordDoc('loss', undefined)).toContain(kind);
    });

    test.each(LOSS_KINDS)('%s: the runtime computes a finite loss with finite gradients for each output it fits', (kind) => {
        expect(LOSS_IMPLEMENTATIONS[kind]).toBeDefined();
        const plan = lossPlan(kind, Object.fromEntries(optionsOf(kind).map(([name, o]) => [name, inside(o)]))) as LossPlan;
        for (const activation of LOSSES[kind].fits) {
            const labels = activation === 'softmax' ? tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat() as tf.Tensor2D : tf.tensor2d([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]]);
            const logits = tf.variable(tf.tensor2d([[2, -1, 0.5], [-0.3, 0.2, 1.5], [0, 0, 0], [4, -2, 1]]));
            const { value, grads } = tf.variableGrads(() => loss(plan, activation, { logits: logits as unknown as tf.Tensor2D, labels }));
            expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
            expect(value.dataSync()[0]!).toBeGreaterThan(0);
            expect(Array.from(grads[logits.name]!.dataSync()).every(Number.isFinite)).toBe(true);
            tf.dispose([labels, logits, value, ...Object.values(grads)]);
        }
    });
});

describe('the validator reads the registry', () => {
    let root: string;
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));

    test.each(LOSS_KINDS.filter((k) => lossFits(k, 'softmax')))('%s parses and validates on a softmax head, with every option in range', async (kind) => {
        const diagnostics = await diagnosticsWith(root, statement(kind, inside));
        expect(diagnostics.filter((d) => d.severity === 1)).toEqual([]);
    });

    // Numbers in a spec are not negative, so an option is writable out of range only above its maximum.
    const bounded = LOSS_KINDS.flatMap((kind) => optionsOf(kind).filter(([, o]) => o.max !== undefined).map(([name, o]) => [kind, name, o] as const));
    test.each(bounded)('%s %s above its range is an error naming the range', async (kind, name, o) => {
        const diagnostics = await diagnosticsWith(root, statement(kind, (x) => (x === o ? o.max! + 1 : inside(x))));
        expect(diagnostics.filter((d) => d.severity === 1).map((d) => d.message)).toEqual([`${o.label} must be ${rangeText(o)}, not ${o.max! + 1}`]);
    });

    test.each(LOSS_KINDS.filter((k) => !lossFits(k, 'softmax')))('%s on a softmax head is an error that names a loss that fits', async (kind) => {
        const diagnostics = await diagnosticsWith(root, `loss ${kind}`);
        expect(diagnostics.map((d) => d.message)).toContainEqual(expect.stringMatching(new RegExp(`\`${kind}\` does not fit the \`softmax\` output .*; use ${DEFAULT_LOSS.softmax}`)));
    });
});
