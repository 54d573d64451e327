// A freezing statement of the spec as the core's freeze operation (src/core/plan/freezing.ts
// applies it). The plan compiler and the editor (hover, completion: which layers train at a
// point of the text) both read statements through this one function.
import * as ast from '../generated/ast.js';
import type { FreezeOp } from '../../core/plan/types.js';

/** Undefined for `batchnorm <mode>` (it does not change which layers train) and for a half-typed `freeze layers` range. */
export function freezeOpOf(stmt: ast.FreezeStmt): FreezeOp | undefined {
    switch (stmt.$type) {
        case 'FreezeAll': return { op: stmt.mode === 'all' ? 'freeze_all' : 'freeze_none' };
        case 'FreezeUntil': return { op: 'freeze_until', layer: stmt.layer };
        case 'FreezeLayers': return stmt.range ? { op: 'freeze_layers', from: stmt.range.from, to: stmt.range.to } : undefined;
        case 'FreezeMatching': return { op: 'freeze_matching', pattern: stmt.pattern };
        case 'UnfreezeLast': return { op: 'unfreeze_last', count: stmt.count, unit: stmt.unit };
        case 'UnfreezeFrom': return { op: 'unfreeze_from', layer: stmt.layer };
        case 'BatchnormMode': return undefined;
    }
}
