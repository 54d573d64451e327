// The results contract from the outside: what a real run writes (results.json, every line of
// events.ndjson and of `--events` on stdout, plan.json) and what a real sweep writes (sweep.json)
// validates against the published JSON Schema in docs/schema/, and the committed schemas are the
// ones `npm run schema` generates from the types today (so types, files and docs cannot drift).
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, graft, tinySpec } from './fixtures.js';
// @ts-expect-error: a plain ES module script without types
import { generateSchemas, SCHEMA_DIR, SCHEMAS } from '../../scripts/schema.mjs';
import { RESULTS_SCHEMA_VERSION } from '../../src/runtime/runs/results.js';
import { EVENTS_SCHEMA_VERSION } from '../../src/runtime/runs/events.js';
import { PLAN_SCHEMA_VERSION } from '../../src/runtime/runs/plan-file.js';
import { SWEEP_SCHEMA_VERSION } from '../../src/runtime/sweep/sweep-record.js';
import { readResultsFile, readSweepFile } from '../../src/extension/runs/results-view.js';

const schemaFile = (name: string) => JSON.parse(readFileSync(join(SCHEMA_DIR as string, name), 'utf8')) as Record<string, unknown>;

function validator(name: string): ValidateFunction {
    const ajv = new Ajv({ allErrors: true, strict: false });
    return ajv.compile(schemaFile(name));
}

function expectValid(validate: ValidateFunction, value: unknown, what: string) {
    const ok = validate(value);
    expect(ok, `${what}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
}

async function runToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = graft(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await exited(child);
    return { code, stdout, stderr };
}

describe('the published JSON Schema', () => {
    it('is what `npm run schema` generates from the types now', () => {
        const fresh = generateSchemas() as Record<string, string>;
        expect(Object.keys(fresh).sort()).toEqual(Object.keys(SCHEMAS as object).sort());
        for (const [file, text] of Object.entries(fresh)) expect(readFileSync(join(SCHEMA_DIR as string, file), 'utf8'), `docs/schema/${file} is stale: run npm run schema`).toBe(text);
    });

    it('pins each file to its schema version', () => {
        const version = (name: string) => ((schemaFile(name).definitions as Record<string, { properties?: Record<string, { const?: number }> }>)?.[name === 'results.schema.json' ? 'RunResults' : 'SweepRecord']?.properties?.schemaVersion?.const);
        expect(version('results.schema.json')).toBe(RESULTS_SCHEMA_VERSION);
        expect(version('sweep.schema.json')).toBe(SWEEP_SCHEMA_VERSION);
        expect(JSON.stringify(schemaFile('events.schema.json'))).toContain(`"const":${EVENTS_SCHEMA_VERSION}`);
        expect(JSON.stringify(schemaFile('plan.schema.json'))).toContain(`"const":${PLAN_SCHEMA_VERSION}`);
    });
});

describe('what real runs write validates against it', () => {
    let dir: string;
    let file: string;
    let runDir: string;
    let stdout: string;

    beforeAll(async () => {
        ({ dir, file } = tinySpec(2, 'baseline scratch'));
        const out = await runToEnd(['run', file, '--events']);
        expect(out.code, out.stderr).toBe(0);
        stdout = out.stdout;
        const root = join(dir, 'runs', 'tiny_run');
        runDir = join(root, readdirSync(root).sort().at(-1)!);
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('results.json, plan.json, events.ndjson and the --events stream', () => {
        const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
        expectValid(validator('results.schema.json'), results, 'results.json');
        expect(results.schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
        expect(results.baselines.scratch.metrics.test.accuracy).toEqual(expect.any(Number));
        expectValid(validator('plan.schema.json'), JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8')), 'plan.json');
        const events = validator('events.schema.json');
        const lines = readFileSync(join(runDir, 'events.ndjson'), 'utf8').trim().split('\n');
        expect(lines.length).toBeGreaterThan(5);
        for (const line of lines) expectValid(events, JSON.parse(line), `events.ndjson: ${line.slice(0, 80)}`);
        const streamed = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
        expect(streamed.length).toBeGreaterThan(5);
        for (const line of streamed) expectValid(events, JSON.parse(line), `--events: ${line.slice(0, 80)}`);
        // and the panel reads it through the same contract, with nothing to note
        const view = readResultsFile(results, runDir, JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8')));
        expect(view.error).toBeUndefined();
        expect(view.notes).toBeUndefined();
        expect(view.transferGain?.against).toBe('scratch');
    });

    it('sweep.json of a real two-trial sweep', async () => {
        const sweepSpec = join(dir, 'sweep.graft');
        writeFileSync(sweepSpec, 'sweep tiny_lr of tiny_run {\n  vary lr 1e-2, 3e-3\n  objective max val_accuracy\n}\n');
        const out = await runToEnd(['run', sweepSpec, '--experiment', 'tiny_lr']);
        expect(out.code, out.stderr).toBe(0);
        const root = join(dir, 'runs', 'tiny_lr');
        const sweepJson = JSON.parse(readFileSync(join(root, readdirSync(root).sort().at(-1)!, 'sweep.json'), 'utf8'));
        expectValid(validator('sweep.schema.json'), sweepJson, 'sweep.json');
        expect(readSweepFile(sweepJson).sweep?.trials).toHaveLength(2);
    }, 120_000);
});

