// Metrics against hand-computed confusion matrices and rankings.
import { describe, expect, it } from 'vitest';
import { computeMetrics, confusionMatrix, type Predictions } from '../../src/runtime/eval/metrics.js';
import { tuneThresholds } from '../../src/runtime/eval/threshold.js';

// 3 classes, 6 samples. Predicted (argmax) vs true:
// true 0 → 0, 0, 1   true 1 → 1, 2   true 2 → 2
// Confusion [[2,1,0],[0,1,1],[0,0,1]]
const single: Predictions = {
    task: 'single_label',
    classes: 3,
    labels: [0, 0, 0, 1, 1, 2],
    probs: [
        0.7, 0.2, 0.1, //
        0.5, 0.3, 0.2,
        0.3, 0.6, 0.1,
        0.1, 0.8, 0.1,
        0.1, 0.4, 0.5,
        0.2, 0.2, 0.6
    ]
};

describe('single-label metrics', () => {
    it('confusion matrix', () => {
        expect(confusionMatrix(single)).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    });
    it('accuracy, precision/recall/F1 macro and micro from the confusion matrix', () => {
        const m = computeMetrics(single, [
            { kind: 'accuracy' },
            { kind: 'precision', average: 'macro' },
            { kind: 'recall', average: 'macro' },
            { kind: 'f1', average: 'macro' },
            { kind: 'f1', average: 'micro' },
            { kind: 'confusion' }
        ]);
        // accuracy 4/6. Precision per class: 2/2, 1/2, 1/2 → 2/3. Recall: 2/3, 1/2, 1/1 → 13/18.
        // F1 per class: 0.8, 0.5, 2/3 → 0.655556. Micro F1 = accuracy for single-label.
        expect(m.accuracy).toBeCloseTo(4 / 6, 12);
        expect(m.precision_macro).toBeCloseTo(2 / 3, 12);
        expect(m.recall_macro).toBeCloseTo(13 / 18, 12);
        expect(m.f1_macro).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
        expect(m.f1_micro).toBeCloseTo(4 / 6, 12);
        expect(m.confusion).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    });
    it('top-2 accuracy', () => {
        // Sample 3 (true 0): scores 0.3, 0.6, 0.1 → class 0 is 2nd: hit. Sample 5 (true 1): 0.4 is 2nd: hit. All hit.
        expect(computeMetrics(single, [{ kind: 'top', k: 2 }]).top_2).toBe(1);
        expect(computeMetrics(single, [{ kind: 'top', k: 1 }]).top_1).toBeCloseTo(4 / 6, 12);
    });
    it('one-vs-rest AUC', () => {
        // class 0: positives 0.7, 0.5, 0.3 vs negatives 0.1, 0.1, 0.2 → all 9 pairs ordered: 1
        // class 1: positives 0.8, 0.4 vs 0.2, 0.3, 0.6, 0.2 → pairs won: 4 + 3 = 7/8
        // class 2: positive 0.6 vs 0.1, 0.2, 0.1, 0.1, 0.5 → 5/5
        expect(computeMetrics(single, [{ kind: 'auc' }]).auc).toBeCloseTo((1 + 7 / 8 + 1) / 3, 12);
    });
});

// Multi-label: 2 classes, 4 samples.
const multi: Predictions = {
    task: 'multi_label',
    classes: 2,
    probs: [0.9, 0.2, 0.6, 0.7, 0.4, 0.8, 0.3, 0.1],
    labels: [1, 0, 0, 1, 1, 1, 0, 0]
};

describe('multi-label metrics', () => {
    it('threshold 0.5: per-label accuracy, micro/macro F1, mAP', () => {
        // class 0 predictions (≥0.5): 1,1,0,0 vs 1,0,1,0 → tp1 fp1 fn1. class 1: 0,1,1,0 vs 0,1,1,0 → tp2.
        const m = computeMetrics(multi, [{ kind: 'accuracy' }, { kind: 'f1', average: 'micro' }, { kind: 'f1', average: 'macro' }, { kind: 'map' }, { kind: 'auc' }]);
        expect(m.accuracy).toBeCloseTo(6 / 8, 12);
        // micro: tp 3, fp 1, fn 1 → P = R = 3/4 → F1 0.75; macro: (0.5 + 1) / 2
        expect(m.f1_micro).toBeCloseTo(0.75, 12);
        expect(m.f1_macro).toBeCloseTo(0.75, 12);
        // AP class 0: ranking 0.9(+), 0.6(-), 0.4(+), 0.3(-) → 1/2·1 + 1/2·2/3 = 5/6; class 1: 0.8(+), 0.7(+) → 1
        expect(m.map).toBeCloseTo((5 / 6 + 1) / 2, 12);
        // AUC class 0: positives 0.9, 0.4 vs 0.6, 0.3 → 3/4; class 1: 1
        expect(m.auc).toBeCloseTo((0.75 + 1) / 2, 12);
    });
    it('threshold tuned maximises F1 on val, globally and per class', () => {
        // Per class: class 0 best at t ∈ (0.3, 0.4] → 0.4 (F1 0.8: tp 2, fp 1); class 1 perfect for t ∈ (0.2, 0.7] → nearest to 0.5.
        const perClass = tuneThresholds(multi, true);
        expect(perClass[0]).toBeCloseTo(0.4, 12);
        expect(perClass[1]).toBeCloseTo(0.5, 12);
        const global = tuneThresholds(multi, false);
        // Global t=0.4: class0 tp2 fp1, class1 tp2 → micro F1 = 8/9, better than 0.75 at 0.5.
        expect(global[0]).toBeCloseTo(0.4, 12);
        expect(computeMetrics(multi, [{ kind: 'f1', average: 'micro' }], global).f1_micro).toBeCloseTo(8 / 9, 12);
    });
});
