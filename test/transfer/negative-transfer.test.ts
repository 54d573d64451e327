// The shipped examples/negative-transfer.graft, run in-process as `graft run` would: a backbone
// pretrained on labels that carry no information about the images, reused frozen on the real
// clothing classes, ends worse than training every layer of the same network from random
// weights — a negative transfer gain against scratch on test and a warning log event saying so.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runtime/runs/events.js';
import { chooseBackend } from '../../src/runtime/runs/backend-choice.js';
import type { RunResults } from '../../src/runtime/runs/results.js';
import { runExperiment } from '../../src/runtime/runs/runner.js';
import { defaultBackboneLoaders } from '../../src/runtime/runs/weights-bridge.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';

const SPEC = join(import.meta.dirname, '../../examples/negative-transfer.graft');
const runsRoot = mkdtempSync(join(tmpdir(), 'graft-negative-transfer-'));
afterAll(() => rmSync(runsRoot, { recursive: true, force: true }));

describe('examples/negative-transfer.graft', () => {
    it('fashion_from_noise loses to its scratch baseline on test and warns about negative transfer', async () => {
        const { plan, plans } = await selectPlan(SPEC, 'fashion_from_noise');
        expect(plan.baselines).toEqual(['scratch', 'random_features']);
        expect(plan.dependsOn).toEqual(['noise_pretrain']);
        // The backend `graft run` would choose, so the numbers match the CLI's.
        const backend = await chooseBackend(undefined, plan.device, () => undefined);
        const events: RunEvent[] = [];
        const outcome = await runExperiment(
            plan,
            { plans, runsRoot, backend, backboneLoaders: defaultBackboneLoaders(), cancelled: () => false },
            { events: false, resume: false, listeners: [(e) => events.push(e)] }
        );
        expect(outcome.results.error).toBeUndefined();
        expect(outcome.status).toBe('completed');

        // The noise backbone was trained first, in its own run folder.
        expect(outcome.results.dependencies).toEqual([expect.objectContaining({ experiment: 'noise_pretrain', cached: false })]);

        const results = JSON.parse(readFileSync(join(outcome.runDir, 'results.json'), 'utf8')) as RunResults;
        const main = results.metrics.test.accuracy as number;
        const scratch = results.baselines!.scratch!.metrics.test.accuracy as number;
        const gain = results.transferGain!.scratch!.test.accuracy;
        console.log(`negative-transfer example (${backend}): test accuracy ${main} transferred vs ${scratch} from scratch, gain ${gain.toFixed(4)}`);
        expect(gain).toBeCloseTo(main - scratch, 10);
        expect(gain).toBeLessThan(0);
        // The frozen layout over random weights was trained too, and its gain is recorded beside.
        const random = results.baselines!.random_features!.metrics.test.accuracy as number;
        expect(results.transferGain!.random_features!.test.accuracy).toBeCloseTo(main - random, 10);
        // Both networks learned something: the comparison is between two working models, not a broken one.
        expect(main).toBeGreaterThan(0.4);
        expect(scratch).toBeGreaterThan(0.4);

        const warnings = events.filter((e): e is Extract<RunEvent, { type: 'log' }> => e.type === 'log' && e.level === 'warning');
        const negative = warnings.filter((e) => /^negative transfer on test: .*\baccuracy [\d.]+ vs [\d.]+ \(gain -[\d.]+\).* from scratch \(every layer trained from random weights\)/.test(e.message));
        expect(negative).toHaveLength(1);
        // The warning points at the `backbone` line of the spec.
        expect(negative[0].at).toMatchObject({ file: SPEC, line: plan.backbone.at.line });
    }, 180_000);
});
