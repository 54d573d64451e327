import { describe, expect, it } from 'vitest';
import { NdjsonSplitter } from '../../../src/extension/runs/ndjson.js';
import { applyEvent, emptySnapshot, headlineMetric, isRunEvent } from '../../../src/extension/runs/run-state.js';
import type { RunEvent } from '../../../src/runtime/runs/events.js';

const t = '2026-01-01T00:00:00.000Z';
const base = { schemaVersion: 1 as const, time: t, runId: 'r1' };

describe('NdjsonSplitter', () => {
    it('reassembles lines split across chunks and passes non-JSON lines as text', () => {
        const objs: unknown[] = [];
        const texts: string[] = [];
        const s = new NdjsonSplitter((o) => objs.push(o), (l) => texts.push(l));
        s.push('{"a":1}\n{"b"');
        s.push(':2}\r\nwarning: something\n{not json}\n');
        s.push('{"c":3}');
        expect(objs).toEqual([{ a: 1 }, { b: 2 }]);
        s.end();
        expect(objs).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
        expect(texts).toEqual(['warning: something', '{not json}']);
    });
});

describe('applyEvent', () => {
    it('folds a two-stage run with a baseline into curves, stage marks and progress', () => {
        const s = emptySnapshot('local', 'exp');
        const events: RunEvent[] = [
            { ...base, type: 'run-start', experiment: 'exp', runDir: '/runs/exp/r1', specFile: '/a.graft', backend: 'wasm', seed: 1, classes: ['a', 'b'], stages: [{ phase: 'main', name: 'train', epochs: 2 }, { phase: 'main', name: 'finetune', epochs: 2 }, { phase: 'baseline', name: 'train', epochs: 2 }] },
            { ...base, type: 'stage-start', phase: 'main', stage: 'train', index: 0, epochs: 2, trainableParams: 10 },
            { ...base, type: 'epoch', phase: 'main', stage: 'train', epoch: 1, epochs: 2, metrics: { loss: 1, val_loss: 1.1, accuracy: 0.5, val_accuracy: 0.4 }, lr: 0.001, seconds: 1, eta: 5 },
            { ...base, type: 'epoch', phase: 'main', stage: 'train', epoch: 2, epochs: 2, metrics: { loss: 0.8, val_loss: 0.9, accuracy: 0.6, val_accuracy: 0.55 }, lr: 0.001, seconds: 1, eta: 4 },
            { ...base, type: 'stage-start', phase: 'main', stage: 'finetune', index: 1, epochs: 2, trainableParams: 100 },
            // early stop after one epoch of the fine-tune
            { ...base, type: 'epoch', phase: 'main', stage: 'finetune', epoch: 1, epochs: 2, metrics: { loss: 0.5, val_loss: 0.7, accuracy: 0.7, val_accuracy: 0.65 }, lr: 0.0001, seconds: 1, eta: 2 },
            { ...base, type: 'stage-start', phase: 'baseline', stage: 'train', index: 0, epochs: 2, trainableParams: 10 },
            { ...base, type: 'epoch', phase: 'baseline', stage: 'train', epoch: 1, epochs: 2, metrics: { loss: 2, val_loss: 2 }, lr: 0.001, seconds: 1 },
            { ...base, type: 'log', level: 'warning', message: 'slow', at: { file: '/a.graft', line: 3, column: 1 } }
        ];
        for (const e of events) applyEvent(s, e);
        expect(s.status).toBe('running');
        expect(s.backend).toBe('wasm');
        expect(s.epochsTotal).toBe(6);
        expect(s.epochsDone).toBe(4);
        expect(s.series.map((x) => x.phase)).toEqual(['main', 'baseline']);
        const main = s.series[0]!;
        expect(main.points.map((p) => [p.x, p.stage, p.epoch])).toEqual([[1, 'train', 1], [2, 'train', 2], [3, 'finetune', 1]]);
        expect(main.stages).toEqual([{ stage: 'train', x: 1, epochs: 2 }, { stage: 'finetune', x: 3, epochs: 2 }]);
        expect(s.current).toEqual({ phase: 'baseline', stage: 'train', epoch: 1, epochs: 2 });
        expect(s.logs).toHaveLength(1);
        applyEvent(s, { ...base, type: 'run-end', status: 'failed', error: { message: 'NaN loss', at: { file: '/a.graft', line: 30, column: 3 } }, seconds: 9 });
        expect(s.status).toBe('failed');
        expect(s.error?.at?.line).toBe(30);
        expect(s.current).toBeUndefined();
    });

    it('picks the validation metric for the status bar', () => {
        expect(headlineMetric({ loss: 1, val_loss: 2, accuracy: 0.5, val_accuracy: 0.6 })).toEqual({ name: 'val_accuracy', value: 0.6 });
        expect(headlineMetric({ loss: 1, val_loss: 2, val_map: 0.3 })).toEqual({ name: 'val_map', value: 0.3 });
        expect(headlineMetric({ loss: 1 })).toEqual({ name: 'loss', value: 1 });
        expect(headlineMetric(undefined)).toBeUndefined();
    });

    it('recognises only run events', () => {
        expect(isRunEvent({ type: 'epoch' })).toBe(true);
        expect(isRunEvent({ type: 'progress' })).toBe(false);
        expect(isRunEvent(null)).toBe(false);
    });
});
