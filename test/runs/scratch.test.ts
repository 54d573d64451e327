// Scratch folders (the decoded-image disk cache): removed at process exit, also after Ctrl-C;
// swept by the next run when their process was killed; other folders are never touched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeScratchDir, OWNER_FILE, sweepStaleScratch } from '../../src/runtime/scratch.js';
import { ROOT } from './fixtures.js';

const made: string[] = [];
afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
});
function parentDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'scratch-parent-'));
    made.push(d);
    return d;
}
/** A pid that existed and has ended. */
function deadPid(): number {
    return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

describe('scratch folders', () => {
    it('name their owner, and the sweep removes only those of a process that is gone', () => {
        const parent = parentDir();
        const mine = makeScratchDir('decoded', parent);
        expect(JSON.parse(readFileSync(join(mine, OWNER_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
        const dead = join(parent, 'graft-decoded-dead');
        mkdirSync(dead);
        writeFileSync(join(dead, OWNER_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), started: '' }));
        writeFileSync(join(dead, 'pixels.u8'), 'x');
        const foreignHost = join(parent, 'graft-decoded-elsewhere');
        mkdirSync(foreignHost);
        writeFileSync(join(foreignHost, OWNER_FILE), JSON.stringify({ pid: deadPid(), host: 'another-host.example', started: '' }));
        const notOurs = join(parent, 'graft-something-else');
        mkdirSync(notOurs);
        const unrelated = join(parent, 'other-decoded');
        mkdirSync(unrelated);
        writeFileSync(join(unrelated, OWNER_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), started: '' }));

        expect(sweepStaleScratch(parent)).toEqual([dead]);
        for (const d of [mine, foreignHost, notOurs, unrelated]) expect(existsSync(d)).toBe(true);
        expect(existsSync(dead)).toBe(false);
    });

    it('are removed when the process ends by process.exit (what a second Ctrl-C does) and by a signal it handles', async () => {
        const parent = parentDir();
        const script = `import { makeScratchDir } from ${JSON.stringify(join(ROOT, 'src/runtime/scratch.ts'))};
const dir = makeScratchDir('decoded', ${JSON.stringify(parent)});
process.on('SIGTERM', () => process.exit(130));
console.log(dir);
setInterval(() => {}, 1000);`;
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
        const dir = await new Promise<string>((resolve) => child.stdout.once('data', (c: Buffer) => resolve(c.toString().trim())));
        expect(existsSync(dir)).toBe(true);
        child.kill('SIGTERM');
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(code).toBe(130);
        expect(existsSync(dir)).toBe(false);
    });
});
