// plan.json: the validated plan a run trained, as written into its run folder (and into exported
// projects). The plan itself is core data (src/core/plan/types.ts); the file adds its schema
// version so that a reader can tell an older or newer layout instead of guessing at it.

import type { ExperimentPlan } from '../../core/plan/types.js';

/** The shape of plan.json this version writes. Files without `schemaVersion` are version 0 (the same plan, unversioned). */
export const PLAN_SCHEMA_VERSION = 1;

/** plan.json: the plan with its version. docs/schema/plan.schema.json is generated from this type. */
export type PlanFile = { schemaVersion: typeof PLAN_SCHEMA_VERSION } & ExperimentPlan;

export function toPlanFile(plan: ExperimentPlan): PlanFile {
    return { schemaVersion: PLAN_SCHEMA_VERSION, ...plan };
}
