// What the editor needs to know about an experiment at one point of the text: its backbone's
// layers and which of them train after the freezing statements above that point. Completion and
// hover share this; the freezing itself is the runtime's own (plan/freezing.ts), so the editor
// shows exactly what will train.
import type { AstNode } from 'langium';
import { AstUtils } from 'langium';
import { freezeOpOf } from '../plan/freeze-ops.js';
import {
    isBackbone,
    isExperiment,
    isFreezeStmt,
    isStage,
    isZooBackbone,
    type Backbone,
    type Experiment,
    type Stage,
    type FreezeStmt
} from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import type { BackboneDescription } from '../../core/zoo/catalog-types.js';
import { isZooArch, ZOO_INFO } from '../../core/zoo/catalog.js';
import { applyFreezeOp, FreezeError, initialMask, type TrainableMask } from '../../core/plan/freezing.js';

export function enclosingExperiment(node: AstNode | undefined): Experiment | undefined {
    return node ? AstUtils.getContainerOfType(node, isExperiment) : undefined;
}

/** The backbone description of an experiment, or undefined when it cannot be resolved. */
export function backboneOf(services: GraftServices, exp: Experiment | undefined): BackboneDescription | undefined {
    if (!exp) return undefined;
    try {
        const result = services.layers.BackboneLayers.describeExperiment(exp);
        return result.ok ? result.description : undefined;
    } catch {
        // A half-typed spec must never break completion or hover.
        return undefined;
    }
}

/**
 * The backbone without its `cut at`: the layers a `cut at` may name. (With a cut, the
 * description ends at the cut layer, and a half-typed cut name would make it fail.)
 */
export function uncutBackboneOf(services: GraftServices, exp: Experiment | undefined): BackboneDescription | undefined {
    const backbone = exp?.props.find(isBackbone);
    if (!exp || !backbone?.cut) return backboneOf(services, exp);
    const uncut = { ...backbone, cut: undefined } as Backbone;
    const layers = services.layers.BackboneLayers;
    const shape = layers.inputShapeOf(exp) ?? (isZooBackbone(backbone) && isZooArch(backbone.arch) ? ZOO_INFO[backbone.arch].defaultInput : [224, 224, 3]);
    try {
        const result = layers.describeBackbone(uncut, shape);
        return result.ok ? result.description : undefined;
    } catch {
        return undefined;
    }
}

export { freezeOpOf };

/** Freezing statements in the order they apply: the experiment's own, then each stage's. */
export function freezeStatementsInOrder(exp: Experiment): FreezeStmt[] {
    const own = exp.props.filter(isFreezeStmt);
    const staged = exp.props.filter(isStage).flatMap((s) => s.items.filter(isFreezeStmt));
    return [...own, ...staged];
}

export interface FreezeState {
    /** Trainable mask before `stmt` applies (all layers train before any statement). */
    before: TrainableMask;
    /** After `stmt` applies; undefined when `stmt` itself cannot apply (unknown layer, …). */
    after?: TrainableMask;
    /** Where the stage boundary lies: the name of the stage holding `stmt`, or `train`. */
    stage: string;
    /** A statement above that could not apply, with why. */
    problem?: string;
}

/** The freezing state around one statement of `exp`. */
export function freezeStateAt(description: BackboneDescription, exp: Experiment, stmt: FreezeStmt): FreezeState {
    let mask = initialMask(description);
    let problem: string | undefined;
    for (const s of freezeStatementsInOrder(exp)) {
        const op = freezeOpOf(s);
        if (s === stmt) {
            let after: TrainableMask | undefined;
            try {
                after = op ? applyFreezeOp(description, mask, op) : mask;
            } catch (err) {
                if (!(err instanceof FreezeError)) throw err;
            }
            const stage = AstUtils.getContainerOfType(stmt, isStage)?.name ?? 'train';
            return { before: mask, after, stage, problem };
        }
        if (!op) continue;
        try {
            mask = applyFreezeOp(description, mask, op);
        } catch (err) {
            if (!(err instanceof FreezeError)) throw err;
            problem ??= err.message;
        }
    }
    return { before: mask, stage: 'train', problem };
}

/**
 * Which backbone layers train in a stage: the experiment's own freezing statements, then those of
 * every stage up to and including `stage` (undefined: the first stage, `train`).
 */
export function trainableInStage(description: BackboneDescription, exp: Experiment, stage: Stage | undefined): { mask: TrainableMask; problem?: string } {
    const stages = exp.props.filter(isStage);
    const upTo = stage ? stages.slice(0, stages.indexOf(stage) + 1) : [];
    const stmts = [...exp.props.filter(isFreezeStmt), ...upTo.flatMap((s) => s.items.filter(isFreezeStmt))];
    let mask = initialMask(description);
    let problem: string | undefined;
    for (const s of stmts) {
        const op = freezeOpOf(s);
        if (!op) continue;
        try {
            mask = applyFreezeOp(description, mask, op);
        } catch (err) {
            if (!(err instanceof FreezeError)) throw err;
            problem ??= err.message;
        }
    }
    return { mask, problem };
}
