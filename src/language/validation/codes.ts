// The stable codes of Graft's diagnostics. Quick fixes, `graft check` output and tests key on
// these strings, so they never change once published; add new ones instead.
import type { AstNode, DiagnosticInfo, ValidationAcceptor, ValidationSeverity } from 'langium';

export const Codes = {
    // names and references
    unknownName: 'unknown-name',
    duplicateName: 'duplicate-name',
    cycle: 'cycle',
    duplicateStatement: 'duplicate-statement',
    missingData: 'missing-data',
    missingBackbone: 'missing-backbone',
    missingHead: 'missing-head',
    missingSource: 'missing-source',
    /** A name that parses but keeps another meaning there (`backbone resnet18`, `evaluate on test`) or collides with a fixed one. */
    ambiguousName: 'ambiguous-name',
    // data
    splitSum: 'split-sum',
    splitDuplicate: 'split-duplicate',
    pathMissing: 'path-missing',
    shotsTooMany: 'shots-too-many',
    classesUnknown: 'classes-unknown',
    csvColumns: 'csv-columns',
    // backbone and freezing
    unknownLayer: 'unknown-layer',
    layerRange: 'layer-range',
    alphaUnsupported: 'alpha-unsupported',
    filtersUnsupported: 'filters-unsupported',
    weightsUrl: 'weights-url',
    inputShape: 'input-shape',
    sha256: 'sha256',
    // head, loss, optimizer, training
    lrRange: 'lr-range',
    finetuneLr: 'finetune-lr',
    missingOutput: 'missing-output',
    headOrder: 'head-order',
    taskActivation: 'task-activation',
    lossTask: 'loss-task',
    headLabels: 'head-labels',
    monitorSplit: 'monitor-split',
    evaluateSplit: 'evaluate-split',
    optionMismatch: 'option-mismatch',
    intRequired: 'int-required',
    range: 'range',
    episodes: 'episodes',
    sweepParam: 'sweep-param'
} as const;

export type GraftCode = (typeof Codes)[keyof typeof Codes];

/** Extra facts a quick fix needs, carried in the diagnostic's `data` next to the code. */
export interface GraftDiagnosticData {
    code: GraftCode;
    /** Replacement candidates computed by the check (e.g. the offered alphas, the layer names). */
    candidates?: string[];
    /** A single suggested value (e.g. the corrected split percentage, the lowered lr). */
    suggestion?: string;
}

/**
 * Reports a diagnostic with its stable code both as the visible `code` and in `data` (which
 * the client hands back with a code-action request).
 */
export function report<N extends AstNode>(
    accept: ValidationAcceptor,
    severity: ValidationSeverity,
    code: GraftCode,
    message: string,
    info: Omit<DiagnosticInfo<N>, 'code' | 'data'>,
    extra: Omit<GraftDiagnosticData, 'code'> = {}
): void {
    accept(severity, message, { ...info, code, data: { code, ...extra } } as DiagnosticInfo<N>);
}
