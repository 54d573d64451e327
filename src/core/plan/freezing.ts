// Applies freezing statements to a backbone's layer list, top to bottom, exactly as the
// reference defines them. Shared by the plan builder, the editor's hover ("frozen at this point")
// and the runtime, so that what the editor shows is what trains.

import type { BackboneDescription } from '../zoo/catalog-types.js';
import type { FreezeOp } from './types.js';

/** `true` = the layer trains. */
export type TrainableMask = boolean[];

export class FreezeError extends Error {
    constructor(message: string, readonly op: FreezeOp) {
        super(message);
    }
}

/** Before any statement every backbone layer trains (Keras' default); `freeze all` is explicit. */
export function initialMask(description: BackboneDescription): TrainableMask {
    return description.layers.map(() => true);
}

/** Converts a glob (`*` any run, `?` one character) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
    const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${escaped}$`);
}

function layerIndex(description: BackboneDescription, name: string, op: FreezeOp): number {
    const index = description.layers.findIndex((l) => l.name === name);
    if (index < 0) throw new FreezeError(`the backbone has no layer "${name}"`, op);
    return index;
}

/** Applies one statement; returns a new mask. */
export function applyFreezeOp(description: BackboneDescription, mask: TrainableMask, op: FreezeOp): TrainableMask {
    const n = description.layers.length;
    const next = [...mask];
    const setRange = (from: number, to: number, trainable: boolean): void => {
        for (let i = Math.max(0, from); i <= Math.min(n - 1, to); i++) next[i] = trainable;
    };
    switch (op.op) {
        case 'freeze_all':
            setRange(0, n - 1, false);
            break;
        case 'freeze_none':
            setRange(0, n - 1, true);
            break;
        case 'freeze_until':
            setRange(0, layerIndex(description, op.layer, op), false);
            break;
        case 'freeze_layers':
            if (op.from > op.to || op.to >= n) throw new FreezeError(`layers ${op.from}..${op.to} are outside the backbone's 0..${n - 1}`, op);
            setRange(op.from, op.to, false);
            break;
        case 'freeze_matching': {
            const re = globToRegExp(op.pattern);
            description.layers.forEach((l, i) => {
                if (re.test(l.name)) next[i] = false;
            });
            break;
        }
        case 'unfreeze_from':
            setRange(layerIndex(description, op.layer, op), n - 1, true);
            break;
        case 'unfreeze_last':
            if (op.unit === 'layers') {
                setRange(n - op.count, n - 1, true);
            } else {
                // Blocks: everything from the first layer of the n-th last block to the end, so
                // that top layers after the last block (e.g. MobileNetV2's Conv_1) train too.
                const blocks = description.blocks;
                if (op.count > blocks.length) throw new FreezeError(`the backbone has only ${blocks.length} blocks`, op);
                if (op.count > 0) setRange(blocks[blocks.length - op.count].first, n - 1, true);
            }
            break;
    }
    return next;
}

export function applyFreezeOps(description: BackboneDescription, mask: TrainableMask, ops: readonly FreezeOp[]): TrainableMask {
    return ops.reduce((m, op) => applyFreezeOp(description, m, op), mask);
}

/** Parameters of the layers that train under `mask`. */
export function trainableParams(description: BackboneDescription, mask: TrainableMask): number {
    return description.layers.reduce((sum, l, i) => sum + (mask[i] ? l.params : 0), 0);
}
