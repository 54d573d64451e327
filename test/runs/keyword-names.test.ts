// test/fixtures/keyword-names/keyword-names.graft names its datasets `x` and `image`, its
// experiments `source` and `data`, a head `output`, a stage `freeze` and a sweep `of`: all
// keywords elsewhere. It checks clean, plans, and really trains: `data` reuses the backbone of
// `source`, which Graft trains first (both stages), then evaluates on dataset `x`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../../src/cli/check.js';
import { chooseBackend } from '../../src/runtime/runs/backend-choice.js';
import type { RunResults } from '../../src/runtime/runs/results.js';
import { runExperiment } from '../../src/runtime/runs/runner.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';

const SPEC = join(import.meta.dirname, '../fixtures/keyword-names/keyword-names.graft');
const runsRoot = mkdtempSync(join(tmpdir(), 'graft-keyword-names-'));
afterAll(() => rmSync(runsRoot, { recursive: true, force: true }));

describe('a spec whose names are keywords', () => {
    it('checks clean', async () => {
        expect(await checkFiles([SPEC])).toEqual([]);
    });

    it('plans and runs end to end: the dependency `source` with its stage `freeze`, then `data` evaluated on `x`', async () => {
        const { plan, plans } = await selectPlan(SPEC, 'data');
        expect(plan.experiment).toBe('data');
        expect(plan.data.name).toBe('image');
        expect(plan.dependsOn).toEqual(['source']);
        expect(plan.evaluate).toEqual([expect.objectContaining({ kind: 'dataset', dataset: expect.objectContaining({ name: 'x' }) })]);
        const source = plans.get('source')!;
        expect(source.data.name).toBe('x');
        expect(source.stages.map((s) => s.name)).toEqual(['train', 'freeze']);
        expect(source.head).toMatchObject({ kind: 'output', heads: [expect.objectContaining({ name: 'output' })] });

        const backend = await chooseBackend(undefined, plan.device, () => undefined);
        const outcome = await runExperiment(
            plan,
            { plans, runsRoot, backend, backboneLoaders: defaultBackboneLoaders(), cancelled: () => false },
            { events: false, resume: false }
        );
        expect(outcome.results.error).toBeUndefined();
        expect(outcome.status).toBe('completed');
        expect(outcome.results.dependencies).toEqual([expect.objectContaining({ experiment: 'source', cached: false })]);

        const results = JSON.parse(readFileSync(join(outcome.runDir, 'results.json'), 'utf8')) as RunResults;
        expect(results.experiment).toBe('data');
        // `evaluate on x`: the test split of dataset `x`, 20% of its 3 × ~1,000 digits.
        const accuracy = Object.values(results.metrics).map((m) => m.accuracy);
        expect(accuracy.length).toBeGreaterThan(0);
        for (const a of accuracy) expect(a).toBeGreaterThanOrEqual(0);
        const source_ = JSON.parse(readFileSync(join(outcome.results.dependencies[0].runDir, 'results.json'), 'utf8')) as RunResults;
        expect(source_.stages.map((s) => s.name)).toEqual(['train', 'freeze']);
        console.log(`keyword-names fixture (${backend}): data → ${JSON.stringify(results.metrics)}`);
    }, 180_000);
});
