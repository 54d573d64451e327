// The files a run leaves for other programs, in one place: results.json (RunResults), the lines of
// events.ndjson and of `graft run --events` (RunEvent), plan.json (PlanFile: the ExperimentPlan with its version) and a sweep's
// sweep.json (SweepRecord), each with its schema version. The runtime writes these types, the
// extension reads them, and `npm run schema` generates docs/schema/*.schema.json from this file
// for outside tools. Readers go through the upgrade functions (contract-upgrade.ts), which take
// an older version to the current one and refuse a newer one with a message.

export { RESULTS_SCHEMA_VERSION, type RunResults, type BaselineResult, type SeedsSummary, type EngineInfo, type StoredNumber, type StoredMetricValues } from './results.js';
export { EVENTS_SCHEMA_VERSION, type RunEvent, type RunStartEvent, type StageStartEvent, type EpochEvent, type CheckpointEvent, type LogEvent, type RunEndEvent, type Phase, type RunStatus } from './events.js';
export { SWEEP_SCHEMA_VERSION, type SweepRecord, type SweepTrialRecord } from '../sweep/sweep-record.js';
export type { ExperimentPlan } from '../../core/plan/types.js';
export { PLAN_SCHEMA_VERSION, toPlanFile, type PlanFile } from './plan-file.js';
export type { StageResult, EpochRecord } from '../train/phase-types.js';
export type { MisclassifiedImage } from './misclassified-gallery.js';
export { upgradeResults, upgradeEvent, upgradeSweep, upgradePlan, type ResultsRead, type Upgraded } from './contract-upgrade.js';
// A trained model's description (model/graft-model.json) and a run's predictions.json: types only,
// so that readers of the run files (the extension) do not load the runtime behind them.
export type { GraftModelMetadata } from '../predict/model-metadata.js';
export type { RunPredictions } from './predictions-record.js';
