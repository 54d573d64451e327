// Process handling with real child processes (a tiny Node script stands in for `graft`, since
// these tests are about signals and queues, not about training).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunProcess, runArgs } from '../../../src/extension/runs/run-process.js';
import { RunQueue } from '../../../src/extension/runs/run-queue.js';
import type { RunEvent } from '../../../src/runtime/runs/events.js';

const dir = mkdtempSync(join(tmpdir(), 'graft-runproc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake CLI: prints run-start with a run folder, then an epoch every 100 ms; optionally ignores SIGTERM. */
function fakeCli(ignoreTerm: boolean): string {
    const file = join(dir, `fake-${ignoreTerm}.mjs`);
    writeFileSync(file, `
import { mkdirSync, writeFileSync } from 'node:fs';
const runDir = process.env.RUN_DIR;
mkdirSync(runDir, { recursive: true });
writeFileSync(runDir + '/results.json', JSON.stringify({ status: 'running' }));
const ev = (e) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), runId: 'r', ...e }) + '\\n');
ev({ type: 'run-start', experiment: 'x', runDir, specFile: process.argv[3], backend: 'cpu', seed: 0, classes: [], stages: [{ phase: 'main', name: 'train', epochs: 1000 }] });
let n = 0;
setInterval(() => ev({ type: 'epoch', phase: 'main', stage: 'train', epoch: ++n, epochs: 1000, metrics: { loss: 1 / n }, lr: 0.1, seconds: 0.1 }), 100);
process.on('SIGTERM', () => {
    if (${ignoreTerm}) return;
    ev({ type: 'run-end', status: 'cancelled', seconds: 1 });
    writeFileSync(runDir + '/results.json', JSON.stringify({ status: 'cancelled' }));
    process.exit(0);
});
`);
    return file;
}

function start(ignoreTerm: boolean, runDir: string) {
    const events: RunEvent[] = [];
    let onExit!: (x: { stopped: boolean; killed: boolean; ended?: RunEvent }) => void;
    const exited = new Promise<{ stopped: boolean; killed: boolean; ended?: RunEvent }>((r) => (onExit = r));
    const p = new RunProcess({ node: process.execPath, cli: fakeCli(ignoreTerm), specFile: '/spec.graft', target: 'x', cwd: dir, env: { RUN_DIR: runDir } }, { onEvent: (e) => events.push(e), onText: () => undefined, onExit: (x) => onExit(x) });
    p.start();
    return { p, events, exited };
}

async function until(check: () => boolean, ms = 10_000) {
    const end = Date.now() + ms;
    while (!check()) {
        if (Date.now() > end) throw new Error('timeout');
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe('RunProcess', () => {
    it('builds the documented command line', () => {
        expect(runArgs({ node: 'node', cli: '/ext/bin/graft.js', specFile: '/w/a.graft', target: 'e', cwd: '/w', backend: 'wasm', runsDir: '/w/runs' })).toEqual(['/ext/bin/graft.js', 'run', '/w/a.graft', '--experiment', 'e', '--events', '--backend', 'wasm', '--runs-dir', '/w/runs']);
        expect(runArgs({ node: 'node', cli: 'g', specFile: 'a', target: 'e', cwd: '/', backend: 'auto' })).not.toContain('--backend');
    });

    it('stops a cooperative run with SIGTERM; the runtime records the cancellation', async () => {
        const runDir = join(dir, 'coop');
        const { p, events, exited } = start(false, runDir);
        await until(() => events.some((e) => e.type === 'epoch'));
        const t0 = Date.now();
        p.stop();
        const x = await exited;
        expect(Date.now() - t0).toBeLessThan(2000);
        expect(x).toMatchObject({ stopped: true, killed: false });
        expect(x.ended).toMatchObject({ type: 'run-end', status: 'cancelled' });
        expect(JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')).status).toBe('cancelled');
    });

    it('kills a run that ignores SIGTERM within 2 s and marks its folder cancelled', async () => {
        const runDir = join(dir, 'stubborn');
        const { p, events, exited } = start(true, runDir);
        await until(() => events.some((e) => e.type === 'epoch'));
        const t0 = Date.now();
        p.stop();
        const x = await exited;
        const ms = Date.now() - t0;
        expect(ms).toBeLessThan(2000);
        expect(x).toMatchObject({ stopped: true, killed: true });
        expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'cancelled' });
        expect(JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')).status).toBe('cancelled');
        expect(readFileSync(join(runDir, 'events.ndjson'), 'utf8')).toContain('"cancelled"');
    });

    it('reports a CLI that cannot start', async () => {
        mkdirSync(join(dir, 'x'), { recursive: true });
        let exit: { stderrTail: string } | undefined;
        const p = new RunProcess({ node: join(dir, 'no-such-node'), cli: 'x', specFile: 'a', target: 'e', cwd: dir }, { onEvent: () => undefined, onText: () => undefined, onExit: (x) => (exit = x) });
        p.start();
        await until(() => !!exit);
        expect(exit!.stderrTail).toMatch(/ENOENT/);
    });
});

describe('RunQueue', () => {
    it('runs at most maxParallel jobs and starts the next when one ends', () => {
        let max = 1;
        const started: string[] = [];
        const q = new RunQueue<{ id: string; start(): void }>(() => max);
        const job = (id: string) => ({ id, start: () => started.push(id) });
        expect(q.submit(job('a'))).toBe('started');
        expect(q.submit(job('b'))).toBe('queued');
        expect(q.submit(job('c'))).toBe('queued');
        expect(q.cancelQueued('c')).toBe(true);
        expect(started).toEqual(['a']);
        q.done('a');
        expect(started).toEqual(['a', 'b']);
        max = 2;
        q.submit(job('d'));
        expect(started).toEqual(['a', 'b', 'd']);
        expect(q.running.map((j) => j.id)).toEqual(['b', 'd']);
    });
});
