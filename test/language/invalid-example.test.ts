// The reference examples as one workspace: clean as shipped; with invalid.graft.txt copied beside
// them as invalid.graft, every line marked `// ERROR` or `// WARNING` gets a diagnostic of that
// severity starting on that line (as many as the line has markers), and nothing else anywhere.
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { collectGraftFiles, diagnosticsOf, loadWorkspace } from '../../src/language/workspace/load-workspace.js';

// The project's own copies (examples/invalid.graft.txt included) always; the shared reference
// folder beside the repository when it is there (the developers' layout, not a lone clone).
const sharedExamples = join(import.meta.dirname, '../../../shared/examples');
const projectExamples = join(import.meta.dirname, '../../examples');
const haveShared = existsSync(sharedExamples);
const SKIPPED = ' (skipped: ../shared/examples is not beside this clone)';

function describeAll(docs: Awaited<ReturnType<typeof loadWorkspace>>['documents']): string[] {
    return docs.flatMap((doc) =>
        diagnosticsOf(doc).map((d) => `${doc.uri.path.split('/').pop()}:${d.range.start.line + 1}: ${d.severity === DiagnosticSeverity.Error ? 'ERROR' : 'WARNING'} ${d.code}: ${d.message}`)
    );
}

/** The copy keeps the shared folder's read-only modes; writable folders let it be written and removed. */
function makeWritable(dir: string): void {
    chmodSync(dir, 0o755);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) makeWritable(join(dir, entry.name));
}

describe.skipIf(!haveShared)(`the shared reference examples${haveShared ? '' : SKIPPED}`, () => {
    test('check clean as one workspace, loaded from the real folder', async () => {
        const files = collectGraftFiles([sharedExamples]);
        expect(files.length).toBeGreaterThanOrEqual(6);
        const { documents } = await loadWorkspace(files);
        expect(describeAll(documents)).toEqual([]);
    });

});

describe("the project's examples", () => {
    test('check clean as one workspace', async () => {
        const files = collectGraftFiles([projectExamples]);
        expect(files.length).toBeGreaterThanOrEqual(7);
        const { documents } = await loadWorkspace(files);
        expect(describeAll(documents)).toEqual([]);
    });
});

function invalidBeside(examples: string): void {
    let dir = '';
    let workspace: Awaited<ReturnType<typeof loadWorkspace>>;
    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'graft-invalid-'));
        cpSync(examples, dir, { recursive: true, filter: (src) => !src.includes('/runs') });
        makeWritable(dir);
        cpSync(join(dir, 'invalid.graft.txt'), join(dir, 'invalid.graft'));
        workspace = await loadWorkspace(collectGraftFiles([dir]));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('every marked line gets its diagnostics and no other diagnostic appears', async () => {
        const text = readFileSync(join(dir, 'invalid.graft'), 'utf8');
        // Expected: "invalid.graft:<line>: <SEVERITY>" once per marker on the line.
        const expected: string[] = [];
        text.split('\n').forEach((line, i) => {
            const comment = line.slice(line.indexOf('//'));
            if (!line.includes('//')) return;
            for (const match of comment.matchAll(/\b(ERROR|WARNING):/g)) expected.push(`invalid.graft:${i + 1}: ${match[1]}`);
        });
        expect(expected.length).toBeGreaterThanOrEqual(12);

        const actual = describeAll(workspace.documents);
        const located = actual.map((a) => a.replace(/ ([a-z0-9-]+): .*$/, ''));
        expect(located.sort()).toEqual(expected.sort());
        // Every diagnostic carries a stable code.
        for (const entry of actual) expect(entry).toMatch(/(ERROR|WARNING) [a-z0-9-]+: /);
    });

    test('the diagnostics are the ones the markers describe', async () => {
        const invalid = workspace.documents.find((d) => d.uri.path.endsWith('/invalid.graft'))!;
        const byLine = diagnosticsOf(invalid).map((d) => `${d.range.start.line + 1} ${d.code}`).sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
        expect(byLine).toEqual([
            '8 split-sum',
            '12 path-missing',
            '19 alpha-unsupported',
            '20 unknown-layer',
            '25 lr-range',
            '34 cycle',
            '41 cycle',
            '50 missing-output',
            '58 task-activation',
            '70 finetune-lr',
            '77 sha256',
            '77 weights-url'
        ]);
    });
}

describe("invalid.graft beside the project's examples", () => invalidBeside(projectExamples));

describe.skipIf(!haveShared)(`invalid.graft beside the shared reference examples${haveShared ? '' : SKIPPED}`, () => invalidBeside(sharedExamples));
