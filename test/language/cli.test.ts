// `graft check` and `graft fmt` in-process: output format, exit codes, and clear messages (no
// stack traces) for every kind of bad input.
import { afterAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { check } from '../../src/cli/check.js';
import { fmt } from '../../src/cli/fmt.js';
import { main } from '../../src/cli/main.js';
import { sharedExamples } from './lsp-test-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'graft-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    return () => vi.restoreAllMocks();
});

function dir(name: string, files: Record<string, string | Buffer>): string {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    for (const [f, content] of Object.entries(files)) writeFileSync(join(d, f), content);
    return d;
}

/** The stable code of an unresolved name (the validator's; Langium's own would be linking-error). */
const UNKNOWN_NAME = 'unknown-name';

/** How the commands show a path: relative to the working directory. */
const shown = (path: string): string => relative(process.cwd(), path);

const GOOD = 'dataset digits {\n  source mnist\n  image 28 x 28 grayscale\n  split train 80%, val 20%\n}\n';
const USES = 'experiment e {\n  data digits\n  backbone small_cnn\n  head {\n    pool average\n    output softmax\n  }\n}\n';

describe('graft check', () => {
    test('the shipped examples check clean as one workspace', async () => {
        expect(await check([sharedExamples])).toBe(0);
        expect(out.filter((l) => / error /.test(l))).toEqual([]);
        expect(err.at(-1)).toMatch(/^0 errors, \d+ warnings? in 7 files$/);
    });

    test('names resolve across the files of a folder; an unknown one is reported with path:line:col', async () => {
        const d = dir('refs', { 'a.graft': GOOD, 'b.graft': USES, 'c.graft': 'experiment f {\n  data nowhere\n}\n' });
        expect(await check([d])).toBe(1);
        const lines = out.filter((l) => l.includes('nowhere'));
        expect(lines.length).toBe(1);
        expect(lines[0].startsWith(`${shown(join(d, 'c.graft'))}:2:8: error ${UNKNOWN_NAME}: `)).toBe(true);
        expect(out.some((l) => l.includes('b.graft') && l.includes(UNKNOWN_NAME))).toBe(false);
        expect(err.at(-1)).toMatch(/^\d+ errors?, \d+ warnings? in 3 files$/);
    });

    test('--format json gives the same findings as objects, sorted', async () => {
        const d = dir('json', { 'a.graft': 'experiment f {\n  data nowhere\n  backbone gone\n}\n' });
        expect(await check(['--format', 'json', d])).toBe(1);
        const findings = JSON.parse(out.join('\n')) as Array<{ file: string; line: number; column: number; severity: string; code: string }>;
        const linking = findings.filter((f) => f.code === UNKNOWN_NAME);
        expect(linking.map((f) => [f.line, f.column, f.severity])).toEqual([[2, 8, 'error'], [3, 12, 'error']]);
        const keys = findings.map((f) => `${f.file}:${String(f.line).padStart(4)}:${String(f.column).padStart(4)}`);
        expect([...keys].sort()).toEqual(keys);
    });

    test('syntax errors are diagnostics too (exit 1), not crashes', async () => {
        const d = dir('syntax', { 'a.graft': 'dataset d {\n  source folder\n' });
        expect(await check([d])).toBe(1);
        expect(out.some((l) => /a\.graft:\d+:\d+: error parsing-error: /.test(l))).toBe(true);
    });

    test('usage and I/O problems exit 2 with one clear line', async () => {
        expect(await check([])).toBe(2);
        expect(err[0]).toMatch(/give at least one file or folder/);
        err = [];
        expect(await check(['--format', 'xml', 'x'])).toBe(2);
        expect(await check(['--bogus', 'x'])).toBe(2);
        err = [];
        expect(await check([join(root, 'does-not-exist')])).toBe(2);
        expect(err).toEqual([`graft check: ${join(root, 'does-not-exist')}: no such file or folder`]);
        err = [];
        const empty = dir('empty', { 'notes.txt': 'hello' });
        expect(await check([empty])).toBe(2);
        expect(err).toEqual([`graft check: no .graft files found in ${empty}`]);
        err = [];
        const binary = dir('binary', { 'model.graft': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]) });
        expect(await check([binary])).toBe(2);
        expect(err).toEqual([`graft check: ${shown(join(binary, 'model.graft'))}: binary file, not a .graft spec`]);
    });

    test.skipIf(process.getuid?.() === 0)('an unreadable file exits 2', async () => {
        const d = dir('unreadable', { 'a.graft': GOOD });
        chmodSync(join(d, 'a.graft'), 0o000);
        expect(await check([d])).toBe(2);
        expect(err[0]).toMatch(/a\.graft: cannot read \(permission denied\)/);
    });

    test('through the dispatcher: unknown commands and --help', async () => {
        expect(await main(['check', '--help'])).toBe(0);
        expect(out.join('\n')).toMatch(/usage: graft check/);
        expect(await main(['chek'])).toBe(2);
    });
});

describe('graft fmt', () => {
    test('--check lists the files that would change and writes nothing', async () => {
        const squashed = 'dataset digits { source mnist }';
        const d = dir('fmt-check', { 'a.graft': GOOD, 'b.graft': squashed });
        expect(await fmt(['--check', d])).toBe(1);
        expect(out).toEqual([shown(join(d, 'b.graft'))]);
        expect(readFileSync(join(d, 'b.graft'), 'utf8')).toBe(squashed);
        expect(err.at(-1)).toBe('1 of 2 files would change');
    });

    test('rewrites files into the canonical layout; a second run changes nothing', async () => {
        const d = dir('fmt-write', { 'a.graft': 'dataset digits { source mnist\n image 28 x 28 grayscale }' });
        expect(await fmt([join(d, 'a.graft')])).toBe(0);
        expect(readFileSync(join(d, 'a.graft'), 'utf8')).toBe('dataset digits {\n  source mnist\n  image 28 x 28 grayscale\n}\n');
        out = [];
        expect(await fmt(['--check', d])).toBe(0);
        expect(out).toEqual([]);
    });

    test('a file with syntax errors is reported and left byte for byte as it was', async () => {
        const broken = 'dataset d {\n   source folder\n}\n';
        const d = dir('fmt-broken', { 'a.graft': broken, 'b.graft': 'dataset ok { source mnist }' });
        expect(await fmt([d])).toBe(1);
        expect(readFileSync(join(d, 'a.graft'), 'utf8')).toBe(broken);
        expect(readFileSync(join(d, 'b.graft'), 'utf8')).toBe('dataset ok {\n  source mnist\n}\n');
        expect(err.some((l) => l.startsWith(`${shown(join(d, 'a.graft'))}: not formatted, syntax error at line 3:1`))).toBe(true);
    });

    test('the shipped examples are fixed points', async () => {
        const d = join(root, 'examples-copy');
        mkdirSync(d);
        for (const f of ['digits-transfer.graft', 'domain-adaptation.graft', 'fashion-finetune.graft', 'imagenet-mobilenet.graft', 'scenes-multilabel.graft', 'sweep.graft']) {
            copyFileSync(join(sharedExamples, f), join(d, f));
        }
        expect(await fmt(['--check', d])).toBe(0);
        expect(err.at(-1)).toBe('0 of 6 files would change');
    });

    test('usage problems exit 2', async () => {
        expect(await fmt([])).toBe(2);
        expect(await fmt(['--write'])).toBe(2);
        expect(await fmt([join(root, 'nope')])).toBe(2);
    });
});
