// `graft plan` on the shipped examples: deterministic text that shows what each stage trains.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { plan } from '../../src/cli/plan.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');

async function capture(args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += chunk.toString();
        return true;
    });
    try {
        const code = await plan(args);
        return { code, out };
    } finally {
        spy.mockRestore();
    }
}

describe('graft plan', () => {
    it('fashion-finetune: data, backbone, per-stage trainable layers, dependencies; identical twice', async () => {
        const a = await capture([join(EXAMPLES, 'fashion-finetune.graft')]);
        expect(a.code).toBe(0);
        expect(a.out).toContain('depends on: digits_pretrain');
        expect(a.out).toContain('classes (5): bag, sandal, sneaker, trouser, tshirt');
        expect(a.out).toContain('images: train 300, val 100, test 100');
        expect(a.out).toMatch(/stage train .*\n {2}freezing: freeze all; batchnorm frozen\n {2}backbone layers that train: none/);
        expect(a.out).toMatch(/stage fine_tune .*adam lr 0\.0001.*\n {2}freezing: unfreeze last 1 blocks; batchnorm frozen\n {2}backbone layers that train: block3_conv\n/);
        expect(a.out).toMatch(/estimated FLOPs per image \(forward\): [\d.]+ M/);
        // The baseline says what it trains: every layer, not the experiment's freezing.
        expect(a.out).toMatch(/\nbaseline scratch: every layer of the same architecture trained from random weights \([\d,]+ parameters\) in every stage, with the stages' optimizer, schedule and epochs; the transfer gain is measured against it\n/);
        const b = await capture([join(EXAMPLES, 'fashion-finetune.graft')]);
        expect(b.out).toBe(a.out);
    });

    it('--format json carries the plan and the stage summaries', async () => {
        const r = await capture([join(EXAMPLES, 'digits-transfer.graft'), '--experiment', 'digits_transfer', '--format', 'json']);
        expect(r.code).toBe(0);
        const parsed = JSON.parse(r.out);
        expect(parsed.plan.experiment).toBe('digits_transfer');
        expect(parsed.plan.dependsOn).toEqual(['digits_pretrain']);
        expect(parsed.stages[0].trainableLayers).toEqual([]);
        expect(parsed.data.images.train).toBe(50);
    });

    it('a file with several experiments needs --experiment', async () => {
        await expect(plan([join(EXAMPLES, 'digits-transfer.graft')])).rejects.toThrow(/--experiment/);
    });
});
