// Checks of `sweep` declarations: each varied parameter must exist in the swept experiment and
// each value must be one that parameter accepts; the objective is a monitor like early_stop's.
import { isLearningRate, LR_RANGE } from '../../core/rules/learning-rate.js';
import { lossesWithOption } from '../../core/losses.js';
import type { ValidationAcceptor } from 'langium';
import type { Experiment, ObjectiveItem, Sweep, TrialsItem, VaryItem } from '../generated/ast.js';
import { fmt, isNonNegativeInt, isPositiveInt, named } from './check-utils.js';
import { Codes, report, type GraftCode } from './codes.js';
import { datasetOf, isPrototypes } from './experiment-facts.js';
import { checkMonitorOn, TrainingChecks } from './training-checks.js';

type ValueRule = { ok: (v: number) => boolean; code: GraftCode; expect: string };

const VALUE_RULES: Record<VaryItem['param'], ValueRule> = {
    lr: { ok: isLearningRate, code: Codes.lrRange, expect: `a learning rate in ${LR_RANGE}` },
    backbone_lr: { ok: isLearningRate, code: Codes.lrRange, expect: `a learning rate in ${LR_RANGE}` },
    batch: { ok: isPositiveInt, code: Codes.intRequired, expect: 'a positive whole number' },
    epochs: { ok: isPositiveInt, code: Codes.intRequired, expect: 'a positive whole number' },
    seed: { ok: isNonNegativeInt, code: Codes.intRequired, expect: 'a whole number' },
    dropout: { ok: (v) => v >= 0 && v < 1, code: Codes.range, expect: 'a rate in [0, 1)' },
    smoothing: { ok: (v) => v >= 0 && v < 1, code: Codes.range, expect: 'a value in [0, 1)' },
    momentum: { ok: (v) => v >= 0 && v < 1, code: Codes.range, expect: 'a value in [0, 1)' },
    decay: { ok: (v) => v >= 0 && v < 1, code: Codes.range, expect: 'a value in [0, 1)' }
};

/** Why `param` cannot be varied on `experiment`, or undefined when it can. */
function whyNotVariable(param: VaryItem['param'], experiment: Experiment): string | undefined {
    if (param === 'seed') return undefined;
    if (isPrototypes(experiment)) return `${named('experiment', experiment.name)} uses \`head prototypes\`, which does not train; only seed can vary`;
    switch (param) {
        case 'dropout':
            return TrainingChecks.hasDropout(experiment) ? undefined : `${named('experiment', experiment.name)} has no dropout layer in its head`;
        case 'momentum': {
            const kind = TrainingChecks.optimizerKind(experiment);
            return kind === 'sgd' || kind === 'rmsprop' ? undefined : `${named('experiment', experiment.name)} trains with ${kind}, which has no momentum (sgd and rmsprop do)`;
        }
        case 'decay': {
            const kind = TrainingChecks.optimizerKind(experiment);
            return kind === 'adamw' ? undefined : `${named('experiment', experiment.name)} trains with ${kind}, which has no decay (adamw does)`;
        }
        case 'smoothing': {
            const loss = TrainingChecks.effectiveLossKind(experiment);
            const takers = lossesWithOption('smoothing');
            return loss === undefined || (takers as string[]).includes(loss) ? undefined : `${named('experiment', experiment.name)} trains with ${loss}; label smoothing belongs to ${takers.join(', ')}`;
        }
        default:
            return undefined;
    }
}

export class SweepChecks {
    checkSweep = (sweep: Sweep, accept: ValidationAcceptor): void => {
        const varies = sweep.items.filter((i): i is VaryItem => i.$type === 'VaryItem');
        if (varies.length === 0) {
            report(accept, 'error', Codes.sweepParam, `${named('sweep', sweep.name)} varies nothing: add e.g. \`vary lr 1e-2, 1e-3\``, { node: sweep, property: 'name' });
            return;
        }
        const trials = sweep.items.find((i): i is TrialsItem => i.$type === 'TrialsItem');
        if (trials && trials.count !== undefined && isPositiveInt(trials.count)) {
            const grid = varies.reduce((n, v) => n * v.values.length, 1);
            if (trials.count > grid) {
                report(accept, 'warning', Codes.range, `trials ${trials.count} is more than the ${grid} combinations of the grid; the full grid runs`, { node: trials, property: 'count' });
            }
        }
    };

    checkVary = (vary: VaryItem, accept: ValidationAcceptor): void => {
        if (vary.param === undefined) return;
        const rule = VALUE_RULES[vary.param];
        vary.values.forEach((value, index) => {
            if (!rule.ok(value)) report(accept, 'error', rule.code, `${vary.param} ${fmt(value)} is not ${rule.expect}`, { node: vary, property: 'values', index });
        });
        const experiment = vary.$container.experiment?.ref;
        if (!experiment) return;
        const why = whyNotVariable(vary.param, experiment);
        if (why) report(accept, 'error', Codes.sweepParam, `cannot vary ${vary.param}: ${why}`, { node: vary, property: 'param' });
    };

    checkTrials = (trials: TrialsItem, accept: ValidationAcceptor): void => {
        if (trials.count !== undefined && !isPositiveInt(trials.count)) {
            report(accept, 'error', Codes.intRequired, `trials must be a positive whole number, not ${fmt(trials.count)}`, { node: trials, property: 'count' });
        }
    };

    checkObjective = (objective: ObjectiveItem, accept: ValidationAcceptor): void => {
        const experiment = objective.$container.experiment?.ref;
        checkMonitorOn(experiment ? datasetOf(experiment) : undefined, objective.monitor, accept, objective);
    };
}
