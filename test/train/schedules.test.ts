import { describe, expect, it } from 'vitest';
import { epochCurve, LrScheduler, scheduledLr } from '../../src/runtime/train/schedules.js';

const close = (actual: number[], expected: number[]): void => {
    expect(actual.length).toBe(expected.length);
    actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 9));
};

describe('learning-rate schedules', () => {
    it('constant', () => close(epochCurve({ kind: 'constant' }, 0.1, 4), [0.1, 0.1, 0.1, 0.1]));

    it('step every 2 factor 0.5 changes at epoch boundaries only', () => {
        close(epochCurve({ kind: 'step', every: 2, factor: 0.5 }, 0.1, 6, 10), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
        expect(scheduledLr({ kind: 'step', every: 2, factor: 0.5 }, 0.1, { epoch: 1, step: 9, epochs: 6, stepsPerEpoch: 10 })).toBe(0.1);
    });

    it('cosine without warmup: 1/2·lr·(1 + cos(π·k/K)) per epoch', () => {
        close(epochCurve({ kind: 'cosine', warmup: 0 }, 1, 4), [1, 0.8535533906, 0.5, 0.1464466094]);
    });

    it('cosine with 1 epoch warmup rises linearly per step, then decays', () => {
        const lrs = Array.from({ length: 12 }, (_, k) =>
            scheduledLr({ kind: 'cosine', warmup: 1 }, 1, { epoch: Math.floor(k / 4), step: k % 4, epochs: 3, stepsPerEpoch: 4 })
        );
        // warmup steps 0..3: 1/4, 2/4, 3/4, 4/4; then cosine over the remaining 8 steps, from 1 towards 0
        close(lrs.slice(0, 4), [0.25, 0.5, 0.75, 1]);
        close(lrs.slice(4), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 0.5 * (1 + Math.cos((Math.PI * i) / 8))));
    });

    it('one_cycle starts at lr/25, peaks at lr after 30 %, ends near lr/25e4', () => {
        const lrs = Array.from({ length: 10 }, (_, k) => scheduledLr({ kind: 'one_cycle' }, 0.1, { epoch: k, step: 0, epochs: 10, stepsPerEpoch: 1 }));
        expect(lrs[0]).toBeCloseTo(0.004, 9);
        expect(lrs[2]).toBeCloseTo(0.1, 9);
        expect(Math.max(...lrs)).toBeCloseTo(0.1, 9);
        expect(lrs[9]).toBeCloseTo(0.004 / 1e4, 12);
        for (let k = 1; k <= 2; k++) expect(lrs[k]).toBeGreaterThan(lrs[k - 1]);
        for (let k = 3; k < 10; k++) expect(lrs[k]).toBeLessThan(lrs[k - 1]);
    });

    it('plateau patience 2 factor 0.1 reduces after two epochs without val_loss improvement', () => {
        const s = new LrScheduler({ kind: 'plateau', patience: 2, factor: 0.1 }, 1, 8, 1);
        const losses = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.72, 0.71];
        const curve: number[] = [];
        for (const l of losses) {
            curve.push(s.lr(0, 0));
            s.endEpoch({ val_loss: l });
        }
        curve.push(s.lr(0, 0));
        // epochs 3,4 do not improve on 0.8 → reduce after epoch 4; 0.7 improves; 0.75, 0.72 do not → reduce again
        close(curve, [1, 1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01]);
    });
});
