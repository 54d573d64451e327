// Registers every Graft validation. The checks live in one file per concern:
//   reference-checks  names, cycles, duplicated and missing statements
//   data-checks       datasets: splits, paths on disk, classes, shots
//   backbone-checks   zoo options, weights, `cut at` and freezing against the backbone's layers
//   training-checks   heads, loss, optimizer, learning rates, train/stage settings, evaluation
//   sweep-checks      varied parameters and objectives
//   name-checks       names that keep a keyword meaning (`backbone resnet18`) or collide with a fixed one
// Every diagnostic carries a stable code (codes.ts) that quick fixes and `graft check` use.
import type { ValidationChecks } from 'langium';
import type { GraftAstType } from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import { BackboneChecks } from './backbone-checks.js';
import { DataChecks } from './data-checks.js';
import { NameChecks } from './name-checks.js';
import { registerDuplicateRevalidation } from './duplicate-revalidation.js';
import { ReferenceChecks } from './reference-checks.js';
import { SweepChecks } from './sweep-checks.js';
import { TrainingChecks } from './training-checks.js';

export class GraftValidator {
    readonly references: ReferenceChecks;
    readonly data = new DataChecks();
    readonly backbones: BackboneChecks;
    readonly training = new TrainingChecks();
    readonly sweeps = new SweepChecks();
    readonly names: NameChecks;

    constructor(services: GraftServices) {
        this.references = new ReferenceChecks(services);
        this.names = new NameChecks(services);
        this.backbones = new BackboneChecks(services);
    }

    checks(): ValidationChecks<GraftAstType> {
        const { references: r, data: d, backbones: b, training: t, sweeps: s, names: n } = this;
        return {
            Model: r.checkDuplicateNames,
            Dataset: [r.checkDataset, d.checkDataset],
            AugmentBlock: r.checkAugment,
            SplitProp: d.checkSplit,
            FolderSource: d.checkFolderSource,
            CsvSource: d.checkCsvSource,
            IdxSource: d.checkIdxSource,
            ShotsProp: d.checkShots,
            ClassesProp: d.checkClasses,
            AugmentOp: d.checkAugmentOp,
            Experiment: [r.checkExperiment, r.checkCycle, t.checkExperiment],
            ZooBackbone: [b.checkZooBackbone, n.checkZooShadowing],
            FileBackbone: b.checkFileBackbone,
            CutAt: b.checkCut,
            FreezeUntil: b.checkFreezeByName,
            UnfreezeFrom: b.checkFreezeByName,
            FreezeLayers: b.checkFreezeLayers,
            UnfreezeLast: b.checkUnfreezeLast,
            FreezeMatching: b.checkFreezeMatching,
            Head: [r.checkOneOutput, t.checkHead],
            DenseLayer: t.checkDense,
            DropoutLayer: t.checkDropout,
            LossProp: t.checkLoss,
            OptimizerProp: t.checkOptimizer,
            BackboneLr: t.checkBackboneLr,
            ScheduleProp: t.checkSchedule,
            TrainBlock: r.checkTrainBlock,
            TrainSetting: t.checkTrainSetting,
            Stage: [r.checkStage, t.checkStage, n.checkStageName],
            EvaluateProp: [t.checkEvaluate, n.checkEvaluateName],
            MetricsProp: [r.checkMetrics, t.checkMetrics],
            ThresholdProp: t.checkThreshold,
            AdaptProp: t.checkAdapt,
            BaselineProp: t.checkBaseline,
            SeedProp: t.checkSeed,
            SeedsProp: t.checkSeeds,
            Sweep: [r.checkSweep, s.checkSweep],
            VaryItem: s.checkVary,
            TrialsItem: s.checkTrials,
            ObjectiveItem: s.checkObjective
        };
    }
}

export function registerValidationChecks(services: GraftServices): void {
    const validator = services.validation.GraftValidator;
    services.validation.ValidationRegistry.register(validator.checks(), validator);
    registerDuplicateRevalidation(services);
}
