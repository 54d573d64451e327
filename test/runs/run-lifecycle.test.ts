// graft run as a user runs it: the run folder's files, cancel via SIGTERM, resume after a kill.
import { hostname } from 'node:os';
import { loadRun, readRunResults } from '../../src/extension/runs/run-history.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, graft, tinySpec, waitForEvent } from './fixtures.js';

function onlyRun(dir: string): string {
    const root = join(dir, 'runs', 'tiny_run');
    const runs = readdirSync(root);
    expect(runs).toHaveLength(1);
    return join(root, runs[0]);
}

const json = (path: string): Record<string, any> => JSON.parse(readFileSync(path, 'utf8'));
const events = (runDir: string): Record<string, any>[] => readFileSync(join(runDir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('graft run lifecycle', () => {
    it('writes the run folder and ends cancelled within 2 s of SIGTERM, keeping its files', async () => {
        const { dir, file } = tinySpec(40);
        const child = graft(['run', file, '--events', '--backend', 'wasm']);
        await waitForEvent(child, (e) => e.type === 'epoch');
        const sent = Date.now();
        child.kill('SIGTERM');
        const code = await exited(child);
        const took = Date.now() - sent;
        expect(code).toBe(130);
        expect(took).toBeLessThan(2000 * 2.5); // 2 s target; slack for a loaded test machine
        const runDir = onlyRun(dir);
        for (const f of ['spec.graft', 'plan.json', 'events.ndjson', 'results.json', 'checkpoint']) expect(existsSync(join(runDir, f))).toBe(true);
        const results = json(join(runDir, 'results.json'));
        expect(results.status).toBe('cancelled');
        const ev = events(runDir);
        expect(ev[0].type).toBe('run-start');
        expect(ev[ev.length - 1]).toMatchObject({ type: 'run-end', status: 'cancelled' });
        expect(readFileSync(join(runDir, 'spec.graft'), 'utf8')).toBe(readFileSync(file, 'utf8'));
    });

    it('ends cancelled, with its end written, when the reader of --events goes away (broken pipe)', async () => {
        const { dir, file } = tinySpec(40);
        const child = graft(['run', file, '--events', '--backend', 'wasm']);
        await waitForEvent(child, (e) => e.type === 'epoch');
        child.stdout!.destroy();
        expect(await exited(child)).toBe(130);
        const results = json(join(onlyRun(dir), 'results.json'));
        expect(results.status).toBe('cancelled');
        expect(results.owner).toBeUndefined();
    });

    it('--resume continues a killed run from its last epoch and completes it', async () => {
        const { dir, file } = tinySpec(4);
        const child = graft(['run', file, '--events', '--backend', 'wasm']);
        await waitForEvent(child, (e) => e.type === 'epoch' && e.epoch === 2);
        child.kill('SIGKILL');
        await exited(child);
        const runDir = onlyRun(dir);
        const killed = json(join(runDir, 'results.json'));
        expect(killed.status).toBe('running');
        // …but it names its process, which is gone: every reader shows it as interrupted.
        expect(killed.owner).toMatchObject({ pid: child.pid, host: hostname() });
        expect(readRunResults(runDir)?.status).toBe('interrupted');
        expect(loadRun(runDir).status).toBe('interrupted');
        // The last checkpoint carries the optimizer's moments beside the weights.
        const last = join(runDir, 'checkpoint', 'last-main');
        expect(json(join(last, 'optimizer.json'))).toMatchObject({ format: 'graft-optimizer', kind: 'adam' });

        const resumed = graft(['run', file, '--events', '--resume', '--backend', 'wasm']);
        const start = await waitForEvent(resumed, (e) => e.type === 'run-start');
        expect(start.resumed).toBe(true);
        const firstEpoch = await waitForEvent(resumed, (e) => e.type === 'epoch');
        // the kill may land before or after epoch 2 was saved: either way the run does not start over
        expect(firstEpoch.epoch).toBeGreaterThanOrEqual(2);
        expect(await exited(resumed)).toBe(0);
        expect(onlyRun(dir)).toBe(runDir);
        const results = json(join(runDir, 'results.json'));
        expect(results.status).toBe('completed');
        expect(results.owner).toBeUndefined();
        expect(results.stages[0].history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3, 4]);
        expect(events(runDir).some((e) => e.type === 'log' && /resumed with the optimizer state of epoch \d/.test(e.message))).toBe(true);
        expect(results.metrics.test.confusion).toHaveLength(5);
        expect(existsSync(join(runDir, 'model', 'model.json'))).toBe(true);
        expect(JSON.parse(readFileSync(join(runDir, 'model', 'labels.json'), 'utf8'))).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
    });
});

describe('seed', () => {
    it('the same seed gives identical results twice on the same backend', async () => {
        const a = tinySpec(2);
        const b = tinySpec(2);
        const codes = await Promise.all([exited(graft(['run', a.file, '--backend', 'wasm'])), exited(graft(['run', b.file, '--backend', 'wasm']))]);
        expect(codes).toEqual([0, 0]);
        const ra = json(join(onlyRun(a.dir), 'results.json'));
        const rb = json(join(onlyRun(b.dir), 'results.json'));
        expect(ra.metrics).toEqual(rb.metrics);
        expect(ra.stages[0].history.map((h: { metrics: unknown }) => h.metrics)).toEqual(rb.stages[0].history.map((h: { metrics: unknown }) => h.metrics));
        expect(ra.backend).toMatch(/^wasm/);
    });
});
