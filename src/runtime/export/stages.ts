// Which backbone layers train in each stage, resolved exactly as the runtime's applyStageFreezing
// does: freezing statements accumulate over stages on the backbone's description; a BatchNorm of
// a pretrained backbone under `batchnorm frozen` never trains (it stays in inference mode).

import type { ExperimentPlan } from '../../core/plan/types.js';
import { applyFreezeOps, FreezeError, initialMask, type TrainableMask } from '../../core/plan/freezing.js';
import type { BackboneDescription } from '../../core/zoo/catalog-types.js';
import { ExportRefused, where } from './refusals.js';
import type { LayerSpec, StageExport } from './types.js';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Parameters a layer trains when it trains (BatchNorm's moving statistics never do). */
function trainableSize(layer: LayerSpec): number {
    return layer.weights.filter((w) => w.param !== 'moving_mean' && w.param !== 'moving_variance').reduce((s, w) => s + size(w.shape), 0);
}

export function resolveStages(plan: ExperimentPlan, description: BackboneDescription, layers: LayerSpec[], pretrained: boolean): StageExport[] {
    const index = new Map(description.layers.map((l, i) => [l.name, i]));
    const headParams = layers.filter((l) => l.part === 'head').reduce((s, l) => s + trainableSize(l), 0);
    let mask: TrainableMask | undefined;
    return plan.stages.map((stage) => {
        try {
            mask = applyFreezeOps(description, mask ?? initialMask(description), stage.freeze);
        } catch (err) {
            if (err instanceof FreezeError) throw new ExportRefused(`${where(stage.at)}: error: ${err.message}`);
            throw err;
        }
        const trainable = layers.filter((l) => {
            if (l.part !== 'backbone' || trainableSize(l) === 0) return false;
            const i = index.get(l.name);
            if (i === undefined || !mask![i]) return false;
            return !(l.className === 'BatchNormalization' && stage.batchnorm === 'frozen' && pretrained);
        });
        return {
            name: stage.name,
            at: stage.at,
            trainableLayers: trainable.map((l) => l.name),
            trainableParams: headParams + trainable.reduce((s, l) => s + trainableSize(l), 0)
        };
    });
}
