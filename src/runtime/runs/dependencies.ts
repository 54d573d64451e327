// The runs an experiment needs first: `backbone <experiment>` takes the backbone of another
// experiment's run. An up-to-date run (same cache key: plan and data of it and of everything it
// depends on) is reused; otherwise the dependency trains now, in its own run folder.

import { join } from 'node:path';
import type { ExperimentPlan } from '../../core/plan/types.js';
import type { BackboneContext } from '../train/backbone.js';
import { SpecError } from '../train/model.js';
import { CancelledError } from '../train/trainer.js';
import type { Phase, RunStartEvent } from './events.js';
import type { RunResults } from './results.js';
import { cacheKey, findUpToDate } from './run-dir.js';
import type { ParentRun, RunContext, RunOptions, RunOutcome } from './run-types.js';

/** Cache keys of an experiment and everything it depends on (a dependency's change invalidates dependents). */
export function keyOf(name: string, plans: Map<string, ExperimentPlan>, memo = new Map<string, string>()): string {
    const known = memo.get(name);
    if (known) return known;
    const plan = plans.get(name);
    if (!plan) throw new Error(`unknown experiment ${name}`);
    const key = cacheKey(plan, plan.dependsOn.map((d) => keyOf(d, plans, memo)));
    memo.set(name, key);
    return key;
}

/** Stages in order with their epoch budget: the dependencies still to train, the experiment, its baselines. */
export function plannedStages(plan: ExperimentPlan, ctx: Pick<RunContext, 'plans' | 'runsRoot'>): RunStartEvent['stages'] {
    const toRun = plan.dependsOn
        .map((dep) => ctx.plans.get(dep))
        .filter((d): d is ExperimentPlan => d !== undefined && !findUpToDate(ctx.runsRoot, d.experiment, keyOf(d.experiment, ctx.plans)));
    return [
        ...toRun.flatMap((d) => [
            ...d.stages.map((s) => ({ phase: `dependency:${d.experiment}` as Phase, name: s.name, epochs: s.epochs })),
            ...d.baselines.flatMap((k) => d.stages.map((s) => ({ phase: `dependency:${d.experiment}` as Phase, name: `${s.name} (baseline ${k})`, epochs: s.epochs })))
        ]),
        ...plan.stages.map((s) => ({ phase: 'main' as Phase, name: s.name, epochs: s.epochs })),
        ...plan.baselines.flatMap((k) => plan.stages.map((s) => ({ phase: `baseline:${k}` as Phase, name: s.name, epochs: s.epochs })))
    ];
}

export class Dependencies {
    /** Run folder of each dependency available so far. */
    private readonly dirs = new Map<string, string>();
    /** Dependencies with no up-to-date run, in spec order. */
    private readonly toRun: ExperimentPlan[] = [];

    /** Looks the dependencies up; the reused ones go into results.dependencies at once. */
    constructor(
        private readonly plan: ExperimentPlan,
        private readonly ctx: RunContext,
        private readonly results: RunResults
    ) {
        results.dependencies = [];
        for (const dep of plan.dependsOn) {
            const depPlan = ctx.plans.get(dep);
            if (!depPlan) throw new SpecError(`experiment ${dep} is not declared in the workspace`, plan.backbone.at);
            const cached = findUpToDate(ctx.runsRoot, dep, keyOf(dep, ctx.plans));
            if (cached) {
                this.dirs.set(dep, cached);
                results.dependencies.push({ experiment: dep, runDir: cached, cached: true });
            } else this.toRun.push(depPlan);
        }
    }

    /**
     * Trains the dependencies that need it, each through `run` (the runner, passed in so that this
     * file does not import it), their events forwarded to `parent`.
     */
    async train(run: (plan: ExperimentPlan, opts: RunOptions, parent: ParentRun) => Promise<RunOutcome>, opts: RunOptions, parent: ParentRun, log: (message: string) => void): Promise<void> {
        const { plan, ctx } = this;
        for (const depPlan of this.toRun) {
            log(`training ${depPlan.experiment} first: no up-to-date run of it in ${ctx.runsRoot}`);
            const outcome = await run(depPlan, { events: false, resume: opts.resume }, { ...parent, phase: `dependency:${depPlan.experiment}` });
            if (outcome.status === 'cancelled') throw new CancelledError();
            if (outcome.status !== 'completed') {
                throw new SpecError(`experiment ${depPlan.experiment}, which this backbone needs, ${outcome.status}: ${outcome.results.error?.message ?? ''} (see ${outcome.runDir})`, plan.backbone.at);
            }
            this.dirs.set(depPlan.experiment, outcome.runDir);
            this.results.dependencies.push({ experiment: depPlan.experiment, runDir: outcome.runDir, cached: false });
        }
    }

    /** `backbone <experiment>`: the backbone saved by that experiment's run. */
    backboneContext(): BackboneContext {
        return {
            ...this.ctx.backboneLoaders,
            experimentBackbone: async (name) => {
                const dir = this.dirs.get(name);
                if (!dir) throw new SpecError(`no run of ${name} to take the backbone from`, this.plan.backbone.at);
                return join(dir, 'backbone', 'model.json');
            }
        };
    }
}
