// What trains in each stage, computed from the plan and the backbone description alone (no tfjs),
// with the same rules the trainer applies: the freezing statements in order, and `batchnorm
// frozen` keeping a pretrained backbone's BatchNorm layers fixed. `graft plan` prints this.

import { applyFreezeOps, FreezeError, initialMask } from '../../core/plan/freezing.js';
import type { ExperimentPlan, HeadLayerPlan } from '../../core/plan/types.js';
import type { BackboneDescription, LayerInfo } from '../../core/zoo/catalog-types.js';

export interface StageSummary {
    name: string;
    /** Backbone layers with weights that train. */
    trainableLayers: string[];
    backboneTrainableParams: number;
    headParams: number;
    error?: string;
}

/** Trainable parameters of a layer: BatchNorm's moving mean/variance never train (half its weights). */
function trainableOf(layer: LayerInfo): number {
    return layer.className === 'BatchNormalization' ? layer.params / 2 : layer.params;
}

export function isPretrained(plan: ExperimentPlan): boolean {
    return !(plan.backbone.kind === 'zoo' && plan.backbone.weights.kind === 'none');
}

/** Parameters of a head stack on a feature map of `shape`, ending in `classes` outputs. */
export function headParams(layers: HeadLayerPlan[], shape: number[], classes: number): { params: number; flops: number } {
    let dim = shape.length === 3 ? shape[2] : shape[shape.length - 1];
    let params = 0;
    let flops = 0;
    for (const l of layers) {
        if (l.kind === 'pool' && l.mode === 'flatten') dim = shape.reduce((a, b) => a * b, 1);
        else if (l.kind === 'dense') {
            params += dim * l.units + l.units;
            flops += 2 * dim * l.units;
            dim = l.units;
        } else if (l.kind === 'batchnorm') params += 2 * dim;
    }
    return { params: params + dim * classes + classes, flops: flops + 2 * dim * classes };
}

export function stageSummaries(plan: ExperimentPlan, description: BackboneDescription | undefined, classCounts: number[]): StageSummary[] {
    const heads = plan.head.kind === 'output' ? plan.head.heads : [];
    const head = description ? heads.reduce((s, h, i) => s + headParams(h.layers, description.featureShape, classCounts[i] ?? 0).params, 0) : 0;
    let mask = description ? initialMask(description) : undefined;
    return plan.stages.map((stage) => {
        if (!description || !mask) return { name: stage.name, trainableLayers: [], backboneTrainableParams: 0, headParams: head, error: 'the backbone is not known at plan time' };
        try {
            mask = applyFreezeOps(description, mask, stage.freeze);
        } catch (err) {
            if (err instanceof FreezeError) return { name: stage.name, trainableLayers: [], backboneTrainableParams: 0, headParams: head, error: err.message };
            throw err;
        }
        const bnFixed = stage.batchnorm === 'frozen' && isPretrained(plan);
        const trains = description.layers.filter((l, i) => mask![i] && l.params > 0 && !(bnFixed && l.className === 'BatchNormalization'));
        return {
            name: stage.name,
            trainableLayers: trains.map((l) => l.name),
            backboneTrainableParams: trains.reduce((s, l) => s + trainableOf(l), 0),
            headParams: head
        };
    });
}

/** Multiply-adds ×2 of one forward pass through the backbone (convolutions and dense layers). */
export function backboneFlops(description: BackboneDescription): number {
    let flops = 0;
    for (const l of description.layers) {
        const spatial = l.outputShape.length === 3 ? l.outputShape[0] * l.outputShape[1] : 1;
        if (/Conv2D$|Conv2d$|DepthwiseConv2D|SeparableConv2D/.test(l.className)) flops += 2 * l.params * spatial;
        else if (l.className === 'Dense') flops += 2 * l.params;
    }
    return flops;
}
