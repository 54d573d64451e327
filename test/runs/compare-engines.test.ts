// Runs from other engines beside Graft's own: a real tiny local run, and the same run folder as an
// exported project records it (results.json in Graft's format with an `engine`). `graft compare`
// lists both with their engines and the differences; the panel's history labels each row with the
// engine that trained it. The real exported PyTorch run is checked by `npm run test:export`.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runExperiment } from '../../src/runtime/runs/runner.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';
import { compare, compareTable, readComparedRun } from '../../src/cli/compare.js';
import { engineLabel, readEngine } from '../../src/runtime/runs/engine.js';
import { listRuns } from '../../src/extension/runs/run-history.js';
import { tinySpec } from './fixtures.js';

const { dir, file } = tinySpec(1);
const runsRoot = join(dir, 'runs');
let localDir = '';
let exportedDir = '';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
    const { plan, plans } = await selectPlan(file, 'tiny_run');
    const outcome = await runExperiment(plan, { plans, runsRoot, backend: 'wasm', backboneLoaders: defaultBackboneLoaders(), cancelled: () => false }, { events: false, resume: false, listeners: [] });
    expect(outcome.results.error?.message).toBeUndefined();
    expect(outcome.status).toBe('completed');
    localDir = outcome.runDir;
    // What an exported project's rank 0 writes: Graft's results.json, its own run id, its engine.
    exportedDir = join(runsRoot, 'tiny_run', '29991231-000000-pytorch');
    mkdirSync(exportedDir, { recursive: true });
    const res = JSON.parse(readFileSync(join(localDir, 'results.json'), 'utf8')) as Record<string, unknown> & { metrics: Record<string, Record<string, number>> };
    res.runId = '29991231-000000-pytorch';
    res.backend = 'cpu';
    res.engine = { name: 'pytorch', version: '1.13.1', distributed: 'ddp', collective: 'gloo', worldSize: 2 };
    res.metrics.test!.accuracy = res.metrics.test!.accuracy! + 0.01;
    writeFileSync(join(exportedDir, 'results.json'), JSON.stringify(res));
    cpSync(join(localDir, 'spec.graft'), join(exportedDir, 'spec.graft'));
}, 120_000);

describe('engines', () => {
    it('reads an engine from an object, a short string, or its absence', () => {
        expect(engineLabel(readEngine({ engine: { name: 'pytorch', version: '1.13.1', distributed: 'ddp', collective: 'gloo', worldSize: 2 } }))).toBe('PyTorch 1.13.1 DDP ×2 (gloo)');
        expect(engineLabel(readEngine({ engine: 'pytorch-ddp' }))).toBe('PyTorch DDP');
        expect(engineLabel(readEngine({ engine: { name: 'pytorch-ddp', version: 'torch 1.13.1', worldSize: 2, distributedBackend: 'gloo' } }))).toBe('PyTorch 1.13.1 DDP ×2 (gloo)');
        expect(engineLabel(readEngine({ engine: { name: 'keras', distributed: 'multi_worker_mirrored', world_size: 4 } }))).toBe('Keras MultiWorkerMirroredStrategy ×4');
        expect(engineLabel(readEngine({}))).toBe('Graft');
        expect(engineLabel(readEngine({ engine: 42 }))).toBe('Graft');
        expect(engineLabel(readEngine(null))).toBe('Graft');
    });
});

describe('graft compare', () => {
    let out: string[] = [];
    let err: string[] = [];
    beforeEach(() => {
        out = [];
        err = [];
        vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
        vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
        return () => vi.restoreAllMocks();
    });

    it('shows a local and an exported run side by side, with engines and differences', async () => {
        expect(await compare([localDir, exportedDir])).toBe(0);
        const text = out.join('\n');
        const engineRow = text.split('\n').find((l) => l.startsWith('engine'))!;
        expect(engineRow).toContain('Graft');
        expect(engineRow).toContain('PyTorch 1.13.1 DDP ×2 (gloo)');
        const acc = text.split('\n').find((l) => l.startsWith('test accuracy'))!;
        expect(acc).toMatch(/\(\+0\.010\)/);
        expect(text).not.toMatch(/undefined|NaN|\[object Object\]/);
    });

    it('an experiment folder stands for all its runs; JSON output carries the engines', async () => {
        expect(await compare([join(runsRoot, 'tiny_run'), '--format', 'json'])).toBe(0);
        const parsed = JSON.parse(out.join('\n')) as { runs: { engine: { name: string }; runDir: string }[] };
        expect(parsed.runs.map((r) => r.engine.name).sort()).toEqual(['graft', 'pytorch']);
    });

    it('names a missing or damaged results.json and exits 2', async () => {
        const broken = join(dir, 'broken');
        mkdirSync(broken, { recursive: true });
        writeFileSync(join(broken, 'results.json'), '{"experiment": ');
        expect(await compare([join(dir, 'nowhere'), broken])).toBe(2);
        expect(err.join('\n')).toMatch(/nowhere.*results\.json: it does not exist/);
        expect(err.join('\n')).toMatch(/broken.*results\.json: it is not readable JSON/);
        expect(await compare([])).toBe(2);
        expect(await compare([localDir, '--format', 'xml'])).toBe(2);
    });

    it('keeps a readable run when another is broken, and says so with exit 2', async () => {
        expect(await compare([localDir, join(dir, 'nowhere')])).toBe(2);
        expect(out.join('\n')).toContain('tiny_run/');
        expect(compareTable([readComparedRun(localDir)])).toContain('engine');
    });
});

describe('the panel history', () => {
    it('lists the exported run beside the local one, labelled with its engine', () => {
        const rows = listRuns(runsRoot, 'tiny_run');
        expect(rows).toHaveLength(2);
        const exported = rows.find((r) => r.runDir === exportedDir)!;
        const local = rows.find((r) => r.runDir === localDir)!;
        expect(exported.engine).toBe('PyTorch 1.13.1 DDP ×2 (gloo)');
        expect(exported.local).toBe(false);
        expect(exported.headline?.name).toBe('accuracy');
        expect(local.engine).toBe('Graft');
        expect(local.local).toBe(true);
    });
});
