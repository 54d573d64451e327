// A process killed in the middle of a checkpoint's folder swap (replaceDirAtomic): the next run
// puts the complete version back (the new one when the kill came between the two renames).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recoverReplacedDir, replaceDirAtomic } from '../../src/runtime/runs/files.js';

const made: string[] = [];
afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
});
function folder(): string {
    const d = mkdtempSync(join(tmpdir(), 'graft-swap-'));
    made.push(d);
    return d;
}

describe('checkpoint folder swaps', () => {
    it('killed between the renames: the new, complete version is put back', () => {
        const dir = folder();
        const ckpt = join(dir, 'last-main');
        replaceDirAtomic(ckpt, (tmp) => writeFileSync(join(tmp, 'weights.bin'), 'epoch 1'));
        // What replaceDirAtomic leaves when killed after `rename(dir, old)`: the filled tmp and the old.
        mkdirSync(`${ckpt}.tmp-4242-7`);
        writeFileSync(join(`${ckpt}.tmp-4242-7`, 'weights.bin'), 'epoch 2');
        renameSync(ckpt, `${ckpt}.old-4242-8`);
        expect(recoverReplacedDir(ckpt)).toBe(true);
        expect(readFileSync(join(ckpt, 'weights.bin'), 'utf8')).toBe('epoch 2');
    });

    it('killed while filling the first version: nothing to recover', () => {
        const dir = folder();
        const ckpt = join(dir, 'last-main');
        mkdirSync(`${ckpt}.tmp-4242-3`);
        expect(recoverReplacedDir(ckpt)).toBe(false);
        expect(readdirSync(dir)).toEqual(['last-main.tmp-4242-3']);
    });

    it('an old version without its matching new one comes back', () => {
        const dir = folder();
        const ckpt = join(dir, 'best-main');
        mkdirSync(`${ckpt}.old-4242-9`);
        writeFileSync(join(`${ckpt}.old-4242-9`, 'weights.bin'), 'epoch 3');
        mkdirSync(`${ckpt}.tmp-4242-2`); // a stale partial fill of an earlier attempt
        expect(recoverReplacedDir(ckpt)).toBe(true);
        expect(readFileSync(join(ckpt, 'weights.bin'), 'utf8')).toBe('epoch 3');
    });
});
