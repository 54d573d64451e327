// Liveness of a `running` record: its process (same host) and its heartbeat's age.
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner, ownerAlive, shownStatus, staleAfterMs } from '../../src/runtime/runs/liveness.js';
import { findResumable } from '../../src/runtime/runs/run-dir.js';

describe('liveness', () => {
    const now = Date.parse('2026-12-04T03:00:00Z');
    const ago = (ms: number): string => new Date(now - ms).toISOString();

    it('a live process with a fresh heartbeat is running', () => {
        expect(shownStatus({ status: 'running', owner: { pid: process.pid, host: hostname(), heartbeat: ago(1000) } }, now)).toBe('running');
        expect(currentOwner().heartbeat).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it('a process that is gone is interrupted, whatever its heartbeat says', () => {
        // A pid that certainly existed and has ended: a child that ran and exited.
        const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
        const pid = Number(child.stdout.toString());
        expect(shownStatus({ status: 'running', owner: { pid, host: hostname(), heartbeat: ago(1000) } }, now)).toBe('interrupted');
    });

    it('a stale heartbeat means interrupted even when the pid is alive (reused) or on another host', () => {
        const stale = ago(staleAfterMs() + 1000);
        expect(ownerAlive({ pid: process.pid, host: hostname(), heartbeat: stale }, now)).toBe(false);
        expect(shownStatus({ status: 'running', owner: { pid: 1, host: 'another-host.example', heartbeat: stale } }, now)).toBe('interrupted');
        expect(shownStatus({ status: 'running', owner: { pid: 1, host: 'another-host.example', heartbeat: ago(5000) } }, now)).toBe('running');
        // Records of an older Graft have no heartbeat: another host's run is then assumed alive.
        expect(shownStatus({ status: 'running', owner: { pid: 1, host: 'another-host.example' } }, now)).toBe('running');
    });

    it('ended runs keep their status', () => {
        expect(shownStatus({ status: 'cancelled', owner: { pid: 1, host: 'x', heartbeat: ago(10 ** 9) } }, now)).toBe('cancelled');
    });

    it('--resume does not take a run that is still going in another process, but takes an interrupted one', () => {
        const root = mkdtempSync(join(tmpdir(), 'graft-live-'));
        try {
            const run = (id: string, owner: object): void => {
                const dir = join(root, 'exp', id);
                mkdirSync(dir, { recursive: true });
                writeFileSync(join(dir, 'results.json'), JSON.stringify({ status: 'running', owner }));
                writeFileSync(join(dir, 'state.json'), '{}');
            };
            const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
            run('20261204-010000', { pid: dead, host: hostname(), heartbeat: new Date().toISOString() });
            // Another live process: a child that waits.
            const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
            try {
                run('20261204-020000', { pid: other.pid, host: hostname(), heartbeat: new Date().toISOString() });
                expect(findResumable(root, 'exp')).toBe(join(root, 'exp', '20261204-010000'));
            } finally {
                other.kill();
            }
            // This very process's own record: its run has ended (a process does not resume a run it is running).
            run('20261204-030000', { pid: process.pid, host: hostname(), heartbeat: new Date().toISOString() });
            expect(findResumable(root, 'exp')).toBe(join(root, 'exp', '20261204-030000'));
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });
});
