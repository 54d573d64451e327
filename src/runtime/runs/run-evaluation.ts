// Evaluation of a trained model (the experiment's or a baseline's) on val and every evaluation
// split, after training: thresholds for multi-label heads (fixed, or tuned on val), metrics per
// split, and for the main model the gallery of its most confident mistakes.

import { compileFrozenGraph } from '../backend/frozen-graph.js';
import { metricsOf, predictSplit, type EvalResult } from '../eval/evaluate.js';
import { MisclassifiedCollector } from '../eval/misclassified.js';
import type { MetricValues } from '../eval/metrics.js';
import { tuneThresholds } from '../eval/threshold.js';
import type { ExperimentPlan } from '../../core/plan/types.js';
import type { TrainingData } from '../train/feed.js';
import type { AssembledModel } from '../train/model.js';
import { clearGallery, GALLERY_SIZE, writeGallery, type MisclassifiedImage } from './misclassified-gallery.js';
import { splitPredictions, type SplitPredictions } from './predictions-record.js';
import type { LogFn } from './run-record.js';

export interface Evaluation {
    metrics: Record<string, MetricValues>;
    /** Per head: the decision thresholds per class (multi-label heads with `threshold`). */
    thresholds?: (number[] | undefined)[];
    misclassified?: MisclassifiedImage[];
    /** The main model's outputs per evaluated split, image by image (predictions.json). */
    predictions?: Record<string, SplitPredictions>;
}

/**
 * `thresholds`: reuse these (a baseline is judged at the main model's thresholds); else they are
 * set from the plan. `gallery`: also collect each evaluated split's misclassified images
 * (the main model's, single-label) and its predictions image by image.
 */
export async function evaluateModel(
    m: AssembledModel,
    plan: ExperimentPlan,
    data: TrainingData,
    runDir: string,
    log: LogFn,
    thresholds?: (number[] | undefined)[],
    gallery = false
): Promise<Evaluation> {
    const heads = plan.head.kind === 'output' ? plan.head.heads : [];
    const withGallery = gallery && heads.length === 1 && heads[0].activation === 'softmax';
    const out: Record<string, MetricValues> = {};
    let val: EvalResult | undefined;
    // Training is over: every layer is fixed, so the whole network runs as fused inference ops.
    const graph = compileFrozenGraph(m.model);
    try {
        if (data.val) val = await predictSplit(graph, heads, data.val, 64);
        if (!thresholds && plan.threshold) {
            const threshold = plan.threshold;
            thresholds = heads.map((h, i) => {
                if (h.activation !== 'sigmoid') return undefined;
                if (threshold.kind === 'fixed') return new Array<number>(data.classes[i].length).fill(threshold.value);
                if (!val) {
                    log('warning', '`threshold tuned` needs a val split; using 0.5');
                    return undefined;
                }
                return tuneThresholds(val.heads[i].predictions, threshold.perClass);
            });
        }
        if (val) out.val = metricsOf(val, plan.metrics, thresholds);
        let misclassified: MisclassifiedImage[] | undefined;
        const predictions: Record<string, SplitPredictions> = {};
        if (withGallery) clearGallery(runDir);
        for (const [name, feed] of data.evaluation) {
            const collector = withGallery && feed.display ? new MisclassifiedCollector(GALLERY_SIZE) : undefined;
            const result = await predictSplit(graph, heads, feed, 64, collector);
            out[name] = metricsOf(result, plan.metrics, thresholds);
            if (gallery) {
                const rows = splitPredictions(result, data.classes, thresholds, feed.display?.source);
                if (rows) predictions[name] = rows;
            }
            if (!collector || !feed.display) continue;
            // The gallery is a view for people: a failure to draw it warns, never fails the run.
            try {
                misclassified = [...(misclassified ?? []), ...(await writeGallery(runDir, name, collector.result(), data.classes[0], feed.display))];
            } catch (err) {
                log('warning', `misclassified images of ${name} not written: ${(err as Error).message}`);
            }
        }
        return { metrics: out, thresholds, misclassified, ...(gallery ? { predictions } : {}) };
    } finally {
        graph.dispose();
    }
}
