// A disk that refuses writes (full, read-only, no permission): a clear error naming the path and
// what to do, no temporary files left, and the last good checkpoint intact. The refusal is
// injected into node:fs (the same ENOSPC error the kernel gives) so the code path runs for real;
// the read-only case also runs for real, as an unprivileged user on a chmod'ed folder.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Paths containing this marker fail with ENOSPC once `full` is set.
const inject = vi.hoisted(() => ({ full: false, marker: '' }));
vi.mock('node:fs', async (importOriginal) => {
    const fs = await importOriginal<typeof import('node:fs')>();
    const refuse = (path: unknown): void => {
        if (inject.full && inject.marker && String(path).includes(inject.marker)) {
            throw Object.assign(new Error(`ENOSPC: no space left on device, write '${String(path)}'`), { code: 'ENOSPC', errno: -28, syscall: 'write', path: String(path) });
        }
    };
    const writeFileSync: typeof fs.writeFileSync = (path, ...rest) => {
        refuse(path);
        return fs.writeFileSync(path, ...rest);
    };
    return { ...fs, default: { ...fs, writeFileSync }, writeFileSync };
});

const { DiskError, replaceDirAtomic, writeFileAtomic } = await import('../../src/runtime/runs/files.js');
const { runExperiment } = await import('../../src/runtime/runs/runner.js');
const { defaultBackboneLoaders } = await import('../../src/runtime/runs/weights-bridge.js');
const { selectPlan } = await import('../../src/language/plan/workspace-plans.js');
const { tinySpec, ROOT } = await import('./fixtures.js');

const made: string[] = [];
afterAll(() => {
    inject.full = false;
    for (const d of made) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'graft-disk-'));
    made.push(d);
    return d;
}

describe('writes the disk refuses', () => {
    it('writeFileAtomic: DiskError naming the path and the remedy, the old file kept, no temp file left', () => {
        const dir = tempDir();
        const file = join(dir, 'results.json');
        writeFileAtomic(file, '{"old":true}');
        inject.marker = dir;
        inject.full = true;
        try {
            let caught: unknown;
            try {
                writeFileAtomic(file, '{"new":true}');
            } catch (err) {
                caught = err;
            }
            expect(caught).toBeInstanceOf(DiskError);
            expect((caught as Error).message).toMatch(/disk is full \(ENOSPC\)/);
            expect((caught as Error).message).toContain(dir);
            expect((caught as Error).message).toMatch(/--runs-dir/);
        } finally {
            inject.full = false;
        }
        expect(readFileSync(file, 'utf8')).toBe('{"old":true}');
        expect(readdirSync(dir)).toEqual(['results.json']);
    });

    it('replaceDirAtomic: a failing fill leaves the previous folder whole and no temp folder', () => {
        const dir = tempDir();
        const ckpt = join(dir, 'last-main');
        replaceDirAtomic(ckpt, (tmp) => writeFileAtomic(join(tmp, 'weights.bin'), 'epoch 1'));
        inject.marker = dir;
        inject.full = true;
        try {
            expect(() => replaceDirAtomic(ckpt, (tmp) => writeFileAtomic(join(tmp, 'weights.bin'), 'epoch 2'))).toThrow(DiskError);
        } finally {
            inject.full = false;
        }
        expect(readFileSync(join(ckpt, 'weights.bin'), 'utf8')).toBe('epoch 1');
        expect(readdirSync(dir)).toEqual(['last-main']);
    });

    it('a run whose disk fills up mid-training fails with the path and what to do, its last checkpoint intact and resumable', async () => {
        const { dir, file } = tinySpec(4);
        made.push(dir);
        const runsRoot = join(dir, 'runs');
        const { plan, plans } = await selectPlan(file, 'tiny_run');
        let epochs = 0;
        const outcome = await runExperiment(
            plan,
            { plans, runsRoot, backend: 'wasm', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false },
            {
                events: false,
                resume: false,
                listeners: [
                    (e) => {
                        // After epoch 2's event its checkpoint is written: the disk is full from there on.
                        if (e.type === 'epoch' && ++epochs === 2) {
                            inject.marker = join(runsRoot, 'tiny_run');
                            inject.full = true;
                        }
                    }
                ]
            }
        );
        inject.full = false;
        expect(outcome.status).toBe('failed');
        expect(outcome.results.error?.message).toMatch(/cannot write .*tiny_run.*the disk is full \(ENOSPC\).*--runs-dir/);
        // results.json could not take the end either: it still holds the last state it could write.
        const last = join(outcome.runDir, 'checkpoint', 'last-main');
        const phase = JSON.parse(readFileSync(join(last, 'phase-state.json'), 'utf8'));
        expect(phase.epochsDone).toBe(1);
        expect(readdirSync(join(outcome.runDir, 'checkpoint')).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
        expect(readdirSync(outcome.runDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

        // With space again, --resume continues from that checkpoint and completes.
        const resumed = await runExperiment(plan, { plans, runsRoot, backend: 'wasm', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: true });
        expect(resumed.status).toBe('completed');
        expect(resumed.runDir).toBe(outcome.runDir);
        expect(resumed.results.stages[0].history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    });

    // As root, chmod denies nothing: the graft process then runs as the unprivileged `nobody` (uid 65534).
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    it('a read-only runs folder: graft run exits 2 naming the folder and --runs-dir', async () => {
        // Outside the test TMPDIR (a 0700 folder of root's) so that `nobody` can reach it.
        const dir = mkdtempSync(join('/tmp', 'graft-ro-'));
        made.push(dir);
        chmodSync(dir, 0o755);
        const data = join(dir, 'tmp');
        mkdirSync(data, { mode: 0o777 });
        chmodSync(data, 0o777);
        const spec = join(dir, 'tiny.graft');
        writeFileSync(spec, readFileSync(tinySpec(1).file, 'utf8'));
        const runsDir = join(dir, 'runs');
        mkdirSync(runsDir);
        chmodSync(runsDir, 0o555);
        const child = spawn(process.execPath, [join(ROOT, 'bin/graft.js'), 'run', spec, '--runs-dir', runsDir, '--backend', 'cpu'], {
            cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: data, HOME: data, GRAFT_CACHE: join(data, 'cache') }, ...asUser
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(stderr).toMatch(/cannot write .*runs.*permission denied \(EACCES\).*--runs-dir/);
        expect(code).toBe(2);
        expect(existsSync(join(runsDir, 'tiny_run'))).toBe(false);
    });
});
