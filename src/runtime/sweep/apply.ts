// A trial's values applied to a copy of the swept experiment's plan. How each parameter maps:
//   lr          the first stage's optimizer lr becomes the value; every later stage keeps its ratio
//               to the first (a fine-tune stage at 1/10 of `train` stays at 1/10), and a stage's
//               `backbone lr` keeps its ratio to that stage's lr.
//   backbone_lr the first stage's backbone lr becomes the value; later stages keep their ratio to
//               the first stage's (a stage without `backbone lr` counts its optimizer lr).
//   batch, epochs  every stage.
//   dropout     every dropout layer of every head (error when the head has none).
//   momentum    every stage whose optimizer has momentum (sgd, rmsprop; error when none has).
//   decay       every adamw stage (error when none is adamw).
//   smoothing   every crossentropy head loss (error when none uses crossentropy).
//   seed        the experiment's seed.
// The plan is plain data, so structuredClone gives an independent copy; the swept experiment's
// own plan is never changed.

import { isLearningRate, LR_RANGE } from '../../core/rules/learning-rate.js';
import { lossesWithOption } from '../../core/losses.js';
import type { ExperimentPlan, SpecLoc } from '../../core/plan/types.js';
import { SweepError } from './trials.js';

const INTEGER_PARAMS = new Set(['batch', 'epochs', 'seed']);

export function applyTrial(plan: ExperimentPlan, values: Record<string, number>, at: SpecLoc): ExperimentPlan {
    const out = structuredClone(plan);
    const fail = (message: string): never => {
        throw new SweepError(`cannot vary ${message}`, at);
    };
    for (const [param, value] of Object.entries(values)) {
        if (!Number.isFinite(value)) fail(`${param}: ${value} is not a number`);
        if (INTEGER_PARAMS.has(param) && !(Number.isInteger(value) && value >= (param === 'seed' ? 0 : 1))) fail(`${param}: ${value} is not a ${param === 'seed' ? 'whole number' : 'positive whole number'}`);
        const needsStages = param !== 'seed';
        if (needsStages && out.stages.length === 0) fail(`${param}: experiment ${plan.experiment} does not train (head prototypes); only seed can vary`);
        switch (param) {
            case 'lr': {
                if (!isLearningRate(value)) fail(`lr: ${value} is not a learning rate in ${LR_RANGE}`);
                const first = out.stages[0].optimizer.lr;
                for (const s of out.stages) {
                    const lr = (s.optimizer.lr / first) * value;
                    if (s.backboneLr !== undefined) s.backboneLr = (s.backboneLr / s.optimizer.lr) * lr;
                    s.optimizer.lr = lr;
                }
                break;
            }
            case 'backbone_lr': {
                if (!isLearningRate(value)) fail(`backbone_lr: ${value} is not a learning rate in ${LR_RANGE}`);
                const effective = (s: ExperimentPlan['stages'][number]): number => s.backboneLr ?? s.optimizer.lr;
                const first = effective(out.stages[0]);
                const ratios = out.stages.map((s) => effective(s) / first);
                out.stages.forEach((s, i) => (s.backboneLr = ratios[i] * value));
                break;
            }
            case 'batch':
                for (const s of out.stages) s.batch = value;
                break;
            case 'epochs':
                for (const s of out.stages) s.epochs = value;
                break;
            case 'dropout': {
                if (!(value >= 0 && value < 1)) fail(`dropout: ${value} is not a rate in [0, 1)`);
                let found = 0;
                if (out.head.kind === 'output') {
                    for (const h of out.head.heads) {
                        for (const l of h.layers) {
                            if (l.kind === 'dropout') {
                                l.rate = value;
                                found++;
                            }
                        }
                    }
                }
                if (!found) fail(`dropout: the head of ${plan.experiment} has no dropout layer; add \`dropout <rate>\` to it`);
                break;
            }
            case 'momentum': {
                let found = 0;
                for (const s of out.stages) {
                    if (s.optimizer.kind === 'sgd' || s.optimizer.kind === 'rmsprop') {
                        s.optimizer.momentum = value;
                        found++;
                    }
                }
                if (!found) fail(`momentum: no stage of ${plan.experiment} uses sgd or rmsprop`);
                break;
            }
            case 'decay': {
                let found = 0;
                for (const s of out.stages) {
                    if (s.optimizer.kind === 'adamw') {
                        s.optimizer.decay = value;
                        found++;
                    }
                }
                if (!found) fail(`decay: no stage of ${plan.experiment} uses adamw`);
                break;
            }
            case 'smoothing': {
                let found = 0;
                if (out.head.kind === 'output') {
                    for (const h of out.head.heads) {
                        if ((lossesWithOption('smoothing') as string[]).includes(h.loss.kind)) {
                            (h.loss as unknown as Record<string, number>).smoothing = value;
                            found++;
                        }
                    }
                }
                if (!found) fail(`smoothing: no head of ${plan.experiment} uses a loss with smoothing (${lossesWithOption('smoothing').join(', ')})`);
                break;
            }
            case 'seed':
                // A trial's seed replaces the experiment's `seeds`: the sweep itself varies it.
                out.seed = value;
                delete out.seeds;
                break;
            default:
                fail(`${param}: not a sweep parameter (lr, backbone_lr, batch, epochs, dropout, momentum, decay, smoothing, seed)`);
        }
    }
    return out;
}
