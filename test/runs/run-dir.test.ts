// Cache keys for `backbone <experiment>` reuse, run ids, atomic writes, the event sink.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EventSink } from '../../src/runtime/runs/event-sink.js';
import { replaceDirAtomic, writeJsonAtomic } from '../../src/runtime/runs/files.js';
import { cacheKey, newRunId } from '../../src/runtime/runs/run-dir.js';
import { tinyPlan } from '../train/helpers.js';

function folderPlan(dir: string) {
    const plan = tinyPlan();
    return { ...plan, data: { ...plan.data, source: { kind: 'folder' as const, dir } } };
}

describe('cache key', () => {
    it('changes with the plan and the data files, not with spec locations', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-key-'));
        mkdirSync(join(dir, 'a'));
        writeFileSync(join(dir, 'a', '1.png'), 'x');
        const plan = folderPlan(dir);
        const key = cacheKey(plan);
        expect(cacheKey({ ...plan, at: { ...plan.at, line: 99 } })).toBe(key);
        expect(cacheKey({ ...plan, seed: plan.seed + 1 })).not.toBe(key);
        utimesSync(join(dir, 'a', '1.png'), new Date(2000, 1, 1), new Date(2000, 1, 1));
        const touched = cacheKey(plan);
        expect(touched).not.toBe(key);
        writeFileSync(join(dir, 'a', '2.png'), 'y');
        expect(cacheKey(plan)).not.toBe(touched);
        expect(cacheKey(plan, ['dependency-key'])).not.toBe(cacheKey(plan));
    });
});

describe('run folders', () => {
    it('run ids sort by time and never collide', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-ids-'));
        const when = new Date(Date.UTC(2026, 10, 22, 17, 5, 9));
        const first = newRunId(dir, when);
        expect(first).toBe('20261122-170509');
        mkdirSync(join(dir, first));
        expect(newRunId(dir, when)).toBe('20261122-170509-2');
    });
    it('atomic writes leave no temporary files and replace folders whole', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-atomic-'));
        writeJsonAtomic(join(dir, 'r.json'), { a: 1 });
        writeJsonAtomic(join(dir, 'r.json'), { a: 2 });
        expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toEqual({ a: 2 });
        replaceDirAtomic(join(dir, 'm'), (tmp) => writeFileSync(join(tmp, 'one'), '1'));
        replaceDirAtomic(join(dir, 'm'), (tmp) => writeFileSync(join(tmp, 'two'), '2'));
        expect(readdirSync(join(dir, 'm'))).toEqual(['two']);
        expect(readdirSync(dir).sort()).toEqual(['m', 'r.json']);
    });
    it('the event sink buffers until attached, stamps time and runId, and prints JSON lines with --events', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-events-'));
        const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
        try {
            const sink = new EventSink('run-1', true);
            const seen: string[] = [];
            sink.listen((e) => seen.push(e.type));
            sink.emit({ type: 'log', level: 'info', message: 'early' });
            sink.attach(join(dir, 'events.ndjson'));
            sink.emit({ type: 'log', level: 'warning', message: 'late' });
            const lines = readFileSync(join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
            expect(lines.map((l) => l.message)).toEqual(['early', 'late']);
            expect(lines[0]).toMatchObject({ type: 'log', runId: 'run-1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
            expect(seen).toEqual(['log', 'log']);
            expect(out).toHaveBeenCalledTimes(2);
        } finally {
            out.mockRestore();
        }
    });
});
