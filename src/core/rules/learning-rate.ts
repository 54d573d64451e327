// The range a learning rate must lie in: checked by the validator (`optimizer … lr`, `backbone lr`,
// `vary lr`), by the sweep runner when it applies a value, and stated by hover. One place.

/** What a learning rate must be, as the messages and docs say it. */
export const LR_RANGE = '(0, 1]';

export function isLearningRate(v: number): boolean {
    return v > 0 && v <= 1;
}
