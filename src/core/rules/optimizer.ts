// What an experiment trains with when the spec has no `optimizer` statement: the plan compiler
// uses it, the validator's learning-rate checks compare against it, hover states it.
import type { OptimizerPlan } from '../plan/types.js';

export const DEFAULT_OPTIMIZER: Readonly<Extract<OptimizerPlan, { kind: 'adam' }>> = { kind: 'adam', lr: 1e-3 };
