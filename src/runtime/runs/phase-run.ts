// One phase of a run: the experiment's network ('main') or a baseline's (the same architecture
// from random weights, same data, splits, stages and seed). Both are built, resumed and trained the
// same way; the hooks connect the trainer to the run folder (checkpoints, state.json) and the events.

import { join } from 'node:path';
import type { BaselineKind, ExperimentPlan } from '../../core/plan/types.js';
import { loadBackbone, type BackboneContext } from '../train/backbone.js';
import type { TrainingData } from '../train/feed.js';
import { assembleModel, clearFreshBatchNorm, markFreshBatchNorm, type AssembledModel } from '../train/model.js';
import { trainPhase, type StageResult, type TrainHooks } from '../train/trainer.js';
import { Adaptation } from '../transfer/adapt-step.js';
import type { Phase } from './events.js';
import { loadOptimizerState, loadWeights, saveWeights } from './model-io.js';
import type { RunRecord } from './run-record.js';
import type { RunState } from './run-types.js';
import type { PhaseState } from '../train/trainer.js';
import { readJson, recoverReplacedDir } from './files.js';

export function phaseDirs(runDir: string, phase: Phase): { last: string; best: string } {
    const tag = phase.replace(/[^A-Za-z0-9_-]/g, '_');
    return { last: join(runDir, 'checkpoint', `last-${tag}`), best: join(runDir, 'checkpoint', `best-${tag}`) };
}

/** Where each phase is, as saved inside its last checkpoint (written with the weights, in one folder swap). */
const PHASE_STATE_FILE = 'phase-state.json';

/**
 * Resuming: the phase states of state.json as the checkpoints on disk say. A process killed after
 * a checkpoint's folder swap but before state.json was rewritten would otherwise resume the
 * weights of epoch n+1 as if they were epoch n's (and train that epoch twice). Checkpoint folders
 * caught between the two renames of their swap are put back first.
 */
export function reconcileWithCheckpoints(runDir: string, state: RunState, baselines: readonly BaselineKind[]): void {
    const saved = (phase: Phase): PhaseState | undefined => {
        const dirs = phaseDirs(runDir, phase);
        recoverReplacedDir(dirs.best);
        return recoverReplacedDir(dirs.last) ? readJson<PhaseState>(join(dirs.last, PHASE_STATE_FILE)) : undefined;
    };
    if (!state.mainDone) {
        const main = saved('main');
        if (main) state.main = main;
    }
    for (const kind of baselines) {
        const s = saved(`baseline:${kind}`);
        if (s) (state.baselines ??= {})[kind] = s;
    }
}

export class PhaseRunner {
    /** Every model built, disposed by the runner at the end whatever happens. */
    readonly models: AssembledModel[] = [];
    // ETA: mean epoch time so far × epochs left in this run's phases (early stops make it an upper bound).
    private epochsLeft: number;
    private epochSeconds = 0;
    private epochsSeen = 0;

    constructor(
        private readonly plan: ExperimentPlan,
        private readonly data: TrainingData,
        private readonly record: RunRecord,
        private readonly backboneCtx: BackboneContext,
        private readonly cancelled: () => boolean
    ) {
        this.epochsLeft = plan.stages.reduce((n, st) => n + st.epochs, 0) * (1 + plan.baselines.length);
    }

    /** The experiment's network, or a baseline's: the same architecture from random weights. */
    async build(baseline?: BaselineKind): Promise<AssembledModel> {
        const { plan, data } = this;
        const state = this.record.state;
        const scratch = baseline !== undefined;
        const { model, description } = await loadBackbone(plan, this.backboneCtx, scratch);
        const heads = plan.head.kind === 'output' ? plan.head.heads : [];
        const m = assembleModel(model, plan, (h) => data.classes[heads.indexOf(h)].length, description, scratch ? plan.seed + 1 : plan.seed);
        if (scratch) {
            m.pretrained = false;
            m.trainAll = baseline === 'scratch';
            markFreshBatchNorm(m.backboneLayers);
        }
        // Resuming: the checkpoint holds trained statistics, not initial ones.
        if (baseline ? state.baselines?.[baseline] : state.main) clearFreshBatchNorm(m.model.layers);
        this.models.push(m);
        return m;
    }

    /** Trains `m` (built by build(baseline)) through the plan's stages, from where a resumed run was. */
    async train(m: AssembledModel, baseline?: BaselineKind): Promise<StageResult[]> {
        const { plan, data, record } = this;
        const phase: Phase = baseline ? `baseline:${baseline}` : 'main';
        const resumeAt = baseline ? record.state.baselines?.[baseline] : record.state.main;
        if (resumeAt) {
            const last = phaseDirs(record.runDir, phase).last;
            if (!loadWeights(m.model, last)) throw new Error(`cannot resume: ${last} is missing`);
            const at = `stage ${plan.stages[resumeAt.stageIndex]?.name ?? '(end)'}, epoch ${resumeAt.epochsDone + 1}`;
            record.log('info', baseline ? `resuming the ${baseline} baseline at ${at}` : `resuming ${plan.experiment} at ${at}`);
        }
        // `adapt to`: unlabelled target batches beside the source batches (main phase only).
        const adapt = plan.adapt && !baseline ? await Adaptation.create(plan, m, { trainSize: data.train.size, warn: (msg) => record.log('warning', msg, plan.adapt!.at) }) : undefined;
        try {
            return await trainPhase({ m, plan, data, phase, scratch: baseline !== undefined, hooks: this.hooksFor(m, phase), resume: resumeAt, adapt });
        } finally {
            await adapt?.close();
        }
    }

    private hooksFor(m: AssembledModel, phase: Phase): TrainHooks {
        const { record } = this;
        const { sink, state } = record;
        const dirs = phaseDirs(record.runDir, phase);
        return {
            stageStart: (i) => sink.emit({ type: 'stage-start', phase, stage: i.stage.name, index: i.index, epochs: i.stage.epochs, trainableParams: i.trainableParams }),
            epoch: (e) => {
                this.epochsLeft = Math.max(0, this.epochsLeft - 1);
                this.epochSeconds += e.seconds;
                this.epochsSeen++;
                const eta = Math.round((this.epochSeconds / this.epochsSeen) * this.epochsLeft);
                sink.emit({ type: 'epoch', phase, stage: e.stage.name, epoch: e.epoch, epochs: e.stage.epochs, metrics: e.metrics, lr: e.lr, seconds: e.seconds, eta });
            },
            saveBest: async (b) => {
                await saveWeights(m.model, dirs.best);
                sink.emit({ type: 'checkpoint', phase, stage: b.stage.name, epoch: b.epoch, monitor: b.monitor, value: b.value, path: dirs.best });
                return dirs.best;
            },
            loadBest: async () => loadWeights(m.model, dirs.best),
            loadOptimizer: () => loadOptimizerState(dirs.last),
            saveState: async (s, optimizer) => {
                await saveWeights(m.model, dirs.last, optimizer, { [PHASE_STATE_FILE]: JSON.stringify(s) });
                if (phase === 'main') state.main = s;
                else if (phase.startsWith('baseline:')) (state.baselines ??= {})[phase.slice('baseline:'.length) as BaselineKind] = s;
                record.saveState();
            },
            log: (level, message, at) => record.log(level, message, at),
            cancelled: this.cancelled
        };
    }
}
