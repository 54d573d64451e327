// `npm run test:faults`: real `graft run` processes under faults — misbehaving weight servers on
// 127.0.0.1, SIGTERM in each phase of a run, a second signal, SIGKILL at seeded random moments
// followed by `--resume`, a full disk. For each case: the time to exit, every JSON file of the run
// folder parses, the final status, and (resumed runs) the metrics equal an uninterrupted run's.
// The table is printed and written to $GRAFT_FAULTS_TABLE (default out/faults-table.md).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shownStatus } from '../../src/runtime/runs/liveness.js';
import {
    caseDir, cuttingServer, faultSpec, hangingServer, jsonProblems, readJson, ROOT, runFolders, seeded, startGraft, table, tricklingServer, type Child, type Row, type TestServer
} from './harness.js';

const rows: Row[] = [];
const made: string[] = [];
// A few more kills than the 20 asked for: a kill drawn near the end can come after a fast run ended.
const KILLS = Number(process.env.GRAFT_FAULTS_KILLS ?? 24);
const MIN_REAL_KILLS = Math.min(20, KILLS);
const BACKEND = process.env.GRAFT_FAULTS_BACKEND ?? 'wasm';

afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
    const text = table(rows);
    const out = process.env.GRAFT_FAULTS_TABLE ?? join(ROOT, 'out', 'faults-table.md');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    console.log(`\n${text}\n(written to ${out})`);
});

function newCase(spec = faultSpec()): ReturnType<typeof caseDir> & { env: Record<string, string> } {
    const c = caseDir(spec);
    made.push(c.dir);
    return { ...c, env: { TMPDIR: c.tmp, GRAFT_CACHE: join(c.dir, 'cache') } };
}

const lastEvent = (child: Child): string => {
    const e = child.events.at(-1);
    if (!e) return 'start-up';
    if (e.type === 'log') return `log "${String(e.message).slice(0, 40)}…"`;
    return e.type === 'epoch' ? `epoch ${e.epoch} of ${e.stage}` : e.type === 'stage-start' ? `stage-start ${e.stage}` : e.type;
};

/** The only run folder of a case (after a run that made exactly one). */
function theRun(runs: string): string {
    const all = runFolders(runs);
    expect(all).toHaveLength(1);
    return all[0];
}

/** SIGTERM once `when` holds (+ `afterMs`); returns the time to exit and the exit code. */
async function termWhen(child: Child, when: Promise<unknown>, afterMs = 0, signals = 1): Promise<{ ms: number; code: number | null; at: string }> {
    await when;
    if (afterMs) await new Promise((r) => setTimeout(r, afterMs));
    const at = lastEvent(child);
    const sent = Date.now();
    for (let i = 0; i < signals; i++) child.proc.kill('SIGTERM');
    const exit = await child.exit;
    return { ms: exit.at - sent, code: exit.code, at };
}

let reference: { metrics: unknown; wallMs: number; runMs: number };

beforeAll(async () => {
    // The uninterrupted run every resumed run is compared with.
    const c = newCase();
    const started = Date.now();
    const child = startGraft(['run', c.file, '--events', '--backend', BACKEND], c.env);
    const exit = await child.exit;
    expect(exit.code, child.stderr()).toBe(0);
    const results = readJson(join(theRun(c.runs), 'results.json'));
    expect(results.status).toBe('completed');
    const time = (type: string): number => Date.parse(child.events.find((e) => e.type === type)!.time);
    reference = { metrics: results.metrics, wallMs: Date.now() - started, runMs: time('run-end') - time('run-start') };
    rows.push({ case: 'uninterrupted reference run', at: '–', exitMs: reference.wallMs, code: String(exit.code), status: results.status, jsonOk: jsonProblems(c.runs).length === 0, metricsEqual: '(reference)' });
});

describe('downloads from misbehaving servers', () => {
    const servers: TestServer[] = [];
    afterAll(async () => {
        await Promise.all(servers.map((s) => s.close()));
    });

    async function downloadCase(name: string, server: TestServer, opts: { term?: boolean; env?: Record<string, string>; expect: { code: number; status: string; error?: RegExp } }): Promise<void> {
        servers.push(server);
        const c = newCase(faultSpec({ backbone: `backbone from "${server.url}"` }));
        const child = startGraft(['run', c.file, '--events', '--backend', BACKEND], { ...c.env, ...opts.env });
        let ms: number;
        let code: number | null;
        if (opts.term) {
            ({ ms, code } = await termWhen(child, server.hit, 300));
        } else {
            await server.hit;
            const hitAt = Date.now();
            const exit = await child.exit;
            [ms, code] = [exit.at - hitAt, exit.code];
        }
        const results = readJson(join(theRun(c.runs), 'results.json'));
        const jsonOk = jsonProblems(c.runs).length === 0;
        rows.push({ case: name, at: 'download', exitMs: ms, code: String(code), status: results.status, jsonOk, metricsEqual: '–' });
        expect(code, child.stderr()).toBe(opts.expect.code);
        expect(results.status).toBe(opts.expect.status);
        if (opts.expect.error) expect(results.error?.message).toMatch(opts.expect.error);
        expect(jsonOk).toBe(true);
        expect(results.owner).toBeUndefined();
        if (opts.term) expect(ms).toBeLessThan(2000);
    }

    it('a server that never answers: SIGTERM ends the run as cancelled within 2 s', async () => {
        await downloadCase('hanging server, SIGTERM', await hangingServer(), { term: true, expect: { code: 130, status: 'cancelled' } });
    });

    it('a server that never answers: the idle timeout fails the run, naming the URL', async () => {
        await downloadCase('hanging server, idle timeout 1 s, 1 retry', await hangingServer(), {
            env: { GRAFT_IDLE_TIMEOUT_MS: '1000', GRAFT_DOWNLOAD_RETRIES: '1' },
            expect: { code: 1, status: 'failed', error: /cannot download http:\/\/127\.0\.0\.1:\d+\/model\.json.*idle timeout/ }
        });
    });

    it('a server that trickles bytes: SIGTERM ends the run as cancelled within 2 s', async () => {
        await downloadCase('trickling server (1 byte/100 ms), SIGTERM', await tricklingServer(), { term: true, expect: { code: 130, status: 'cancelled' } });
    });

    it('a server that cuts the body: the run fails after its retries, naming the URL', async () => {
        await downloadCase('body cut after 100 of 1000 bytes, 1 retry', await cuttingServer(), {
            env: { GRAFT_DOWNLOAD_RETRIES: '1' },
            expect: { code: 1, status: 'failed', error: /cannot download .*broke off after 100/ }
        });
    });
});

describe('SIGTERM in each phase', () => {
    const phases: { name: string; when: (e: Record<string, any>) => boolean; afterMs?: number }[] = [
        // run-start comes before the datasets are indexed, their headers checked and the first images decoded.
        { name: 'data loading and decoding', when: (e) => e.type === 'run-start', afterMs: 100 },
        // The first stage freezes the backbone: its features are computed right after stage-start.
        { name: 'feature caching', when: (e) => e.type === 'stage-start' },
        { name: 'training', when: (e) => e.type === 'epoch' && e.stage === 'fine_tune' && e.epoch === 1 },
        { name: 'checkpoint', when: (e) => e.type === 'checkpoint' },
        // After the last epoch: BatchNorm statistics, then the test split and the `shifted` dataset are evaluated.
        { name: 'evaluation', when: (e) => e.type === 'epoch' && e.stage === 'fine_tune' && e.epoch === 3 }
    ];
    for (const p of phases) {
        it(`during ${p.name}: cancelled within 2 s, its end written`, async () => {
            const c = newCase();
            const child = startGraft(['run', c.file, '--events', '--backend', BACKEND], c.env);
            const { ms, code, at } = await termWhen(child, child.waitFor(p.when), p.afterMs ?? 0);
            const runDir = theRun(c.runs);
            const results = readJson(join(runDir, 'results.json'));
            const jsonOk = jsonProblems(c.runs).length === 0;
            const end = readJson(join(runDir, 'results.json')).finished !== undefined;
            rows.push({ case: `SIGTERM: ${p.name}`, at, exitMs: ms, code: String(code), status: results.status, jsonOk, metricsEqual: '–' });
            expect(code).toBe(130);
            expect(results.status).toBe('cancelled');
            expect(end).toBe(true);
            expect(results.owner).toBeUndefined();
            expect(jsonOk).toBe(true);
            expect(ms).toBeLessThan(2000);
            expect(child.events.at(-1)).toMatchObject({ type: 'run-end', status: 'cancelled' });
            // No scratch folder is left in the run's temp dir.
            expect(readdirSync(c.tmp).filter((n) => n.startsWith('graft-decoded-'))).toEqual([]);
        });
    }

    it('during a sweep: the trial and the sweep end cancelled within 2 s', async () => {
        const c = newCase(faultSpec({ sweep: true }));
        const child = startGraft(['run', c.file, '--experiment', 'faults_sweep', '--events', '--backend', BACKEND], c.env);
        const { ms, code } = await termWhen(child, child.waitFor((e) => e.type === 'epoch' && child.events.filter((x) => x.type === 'run-start').length === 2));
        const sweepDir = runFolders(c.runs).find((d) => existsSync(join(d, 'sweep.json')))!;
        const sweep = readJson(join(sweepDir, 'sweep.json'));
        const trials = runFolders(c.runs).filter((d) => existsSync(join(d, 'results.json'))).map((d) => readJson(join(d, 'results.json')).status as string);
        const jsonOk = jsonProblems(c.runs).length === 0;
        rows.push({ case: 'SIGTERM: sweep (2nd of 3 trials)', at: 'training of trial 2', exitMs: ms, code: String(code), status: `sweep ${sweep.status}; trials ${trials.sort().join(', ')}`, jsonOk, metricsEqual: '–' });
        expect(code).toBe(130);
        expect(sweep.status).toBe('cancelled');
        expect(trials.sort()).toEqual(['cancelled', 'completed']);
        expect(jsonOk).toBe(true);
        expect(ms).toBeLessThan(2000);
    });

    it('a wait no cancellation check covers (GRAFT_FAILPOINTS=after-data): the watchdog writes the end within the grace period', async () => {
        const c = newCase();
        const child = startGraft(['run', c.file, '--events', '--backend', BACKEND], { ...c.env, GRAFT_FAILPOINTS: 'after-data', GRAFT_CANCEL_GRACE_MS: '1000' });
        const { ms, code, at } = await termWhen(child, child.waitFor((e) => e.type === 'log' && String(e.message).includes('failpoint after-data')));
        const results = readJson(join(theRun(c.runs), 'results.json'));
        const jsonOk = jsonProblems(c.runs).length === 0;
        rows.push({ case: 'SIGTERM while stuck in a wait no check covers (watchdog, 1 s grace)', at, exitMs: ms, code: String(code), status: results.status, jsonOk, metricsEqual: '–' });
        expect(code).toBe(130);
        expect(results.status).toBe('cancelled');
        expect(results.finished).toBeDefined();
        expect(results.owner).toBeUndefined();
        expect(jsonOk).toBe(true);
        // The grace period, not a cooperative stop, ended it: at least 1 s, and still within 2 s.
        expect(ms).toBeGreaterThanOrEqual(900);
        expect(ms).toBeLessThan(2000);
    });

    it('a second signal exits at once, still writing the end', async () => {
        const c = newCase();
        const child = startGraft(['run', c.file, '--events', '--backend', BACKEND], c.env);
        const { ms, code, at } = await termWhen(child, child.waitFor((e) => e.type === 'epoch'), 0, 2);
        const results = readJson(join(theRun(c.runs), 'results.json'));
        const jsonOk = jsonProblems(c.runs).length === 0;
        rows.push({ case: 'two SIGTERMs at once', at, exitMs: ms, code: String(code), status: results.status, jsonOk, metricsEqual: '–' });
        expect(code).toBe(130);
        expect(results.status).toBe('cancelled');
        expect(jsonOk).toBe(true);
        expect(ms).toBeLessThan(2000);
    });
});

describe(`SIGKILL at ${KILLS} seeded random moments, then --resume`, () => {
    const random = seeded(16);
    // Fractions of the reference run's wall time, drawn in order from the seed.
    const draws = Array.from({ length: KILLS }, () => random());
    let realKills = 0;
    for (let k = 0; k < KILLS; k++) {
        it(`kill ${k + 1}`, async () => {
            // After run-start (the process is up, the run folder exists), at a moment drawn over 80% of
            // the reference run's time from run-start to run-end: data loading, feature caching, epochs,
            // checkpoints, evaluation and the saving of the models.
            const delay = Math.round(draws[k] * 0.8 * reference.runMs);
            const c = newCase();
            const child = startGraft(['run', c.file, '--events', '--backend', BACKEND], c.env);
            await child.waitFor((e) => e.type === 'run-start');
            const timer = setTimeout(() => child.proc.kill('SIGKILL'), delay);
            const killed = await child.exit;
            clearTimeout(timer);
            if (killed.signal === 'SIGKILL') realKills++;
            const at = killed.signal === 'SIGKILL' ? lastEvent(child) : 'after the end';
            const before = runFolders(c.runs).map((d) => readJson(join(d, 'results.json')));
            const killedShown = before.map((r) => shownStatus(r as never));
            let jsonOk = jsonProblems(c.runs).length === 0;
            // A run killed mid-way is `running` on disk and shown `interrupted`.
            if (killed.signal === 'SIGKILL') expect(killedShown.every((s) => s === 'interrupted' || s === 'completed')).toBe(true);

            const resumed = startGraft(['run', c.file, '--events', '--resume', '--backend', BACKEND], c.env);
            const exit = await resumed.exit;
            expect(exit.code, resumed.stderr()).toBe(0);
            const finalDir = runFolders(c.runs).sort().at(-1)!;
            const results = readJson(join(finalDir, 'results.json'));
            jsonOk &&= jsonProblems(c.runs).length === 0;
            const equal = JSON.stringify(results.metrics) === JSON.stringify(reference.metrics);
            rows.push({
                case: `SIGKILL ${k + 1}, ${delay} ms after run-start, then --resume`, at, exitMs: undefined, code: `${killed.signal ?? killed.code} → ${exit.code}`,
                status: `${killedShown.join('/') || 'no run folder yet'} → ${results.status}`, jsonOk, metricsEqual: equal ? 'yes' : 'NO'
            });
            expect(results.status).toBe('completed');
            expect(jsonOk).toBe(true);
            expect(results.metrics).toEqual(reference.metrics);
            // The killed process's scratch folders are gone once the next run has started.
            expect(readdirSync(c.tmp).filter((n) => n.startsWith('graft-decoded-'))).toEqual([]);
        });
    }
    it(`at least ${MIN_REAL_KILLS} kills landed while the run was running`, () => {
        expect(realKills).toBeGreaterThanOrEqual(MIN_REAL_KILLS);
    });
});

describe('a full disk', () => {
    it('a tiny tmpfs as the runs folder: the run fails naming the path, its files parse', (ctx) => {
        const c = newCase();
        const mnt = join(c.dir, 'small-disk');
        mkdirSync(mnt);
        const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', mnt], { encoding: 'utf8' });
        if (mount.status !== 0) {
            const why = `cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim() || `exit ${mount.status}`}); the full-disk path is tested by injection in test/runs/disk-errors.test.ts`;
            rows.push({ case: 'full disk (96 KiB tmpfs)', at: '–', exitMs: undefined, code: '–', status: `skipped: ${why}`, jsonOk: true, metricsEqual: '–' });
            ctx.skip(why);
            return;
        }
        try {
            const started = Date.now();
            const run = spawnSync(process.execPath, [join(ROOT, 'bin/graft.js'), 'run', c.file, '--runs-dir', mnt, '--backend', BACKEND], { env: { ...process.env, ...c.env }, encoding: 'utf8' });
            const ms = Date.now() - started;
            const folders = runFolders(mnt);
            const results = folders.length ? readJson(join(folders[0], 'results.json')) : undefined;
            const jsonOk = jsonProblems(mnt).length === 0;
            // results.json keeps the last version the disk took (a full disk cannot take the end): readers show it by its owner.
            const shown = results ? shownStatus(results as never) : 'no folder';
            rows.push({ case: 'full disk (96 KiB tmpfs)', at: 'whenever it fills', exitMs: ms, code: String(run.status), status: results?.status === shown ? shown : `${results?.status} on disk, shown ${shown}`, jsonOk, metricsEqual: '–' });
            expect(run.stderr).toMatch(/cannot write .*small-disk.*the disk is full \(ENOSPC\).*--runs-dir/);
            expect(run.status).toBe(1);
            expect(['failed', 'interrupted']).toContain(shown);
            expect(jsonOk).toBe(true);
        } finally {
            spawnSync('umount', [mnt]);
        }
    });
});
