// Small helpers the checks share: where a statement starts, integer and interval tests, and the
// wording of numbers in messages.
import { CstUtils, type AstNode } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import { editDistance } from '../../core/util/edit-distance.js';
export { listText } from '../../core/util/list-text.js';

/** The range of a node's first token — the keyword that names the statement. */
export function keywordRange(node: AstNode): Range | undefined {
    const cst = node.$cstNode;
    if (!cst) return undefined;
    for (const leaf of CstUtils.flattenCst(cst)) {
        if (!leaf.hidden) return leaf.range;
    }
    return cst.range;
}

/** 1-based line of a node, for messages that point at another statement. */
export function lineOf(node: AstNode): number {
    return (node.$cstNode?.range.start.line ?? 0) + 1;
}

export function isPositiveInt(value: number): boolean {
    return Number.isInteger(value) && value > 0;
}

export function isNonNegativeInt(value: number): boolean {
    return Number.isInteger(value) && value >= 0;
}

/** Formats a number as people write it in a spec: 1e-3 and 3e-4 stay short, float noise (0.30000000000000004) disappears. */
export function fmt(value: number): string {
    const rounded = Number(value.toPrecision(12));
    if (rounded !== 0 && (Math.abs(rounded) < 1e-2 || Math.abs(rounded) >= 1e6)) return rounded.toExponential().replace('e+', 'e');
    return String(rounded);
}

export { editDistance };

/**
 * How a message names a declaration: `experiment 'x'`, or `an experiment without a name` while
 * its name is missing (half-typed), so that no message ever says `experiment 'undefined'`.
 */
export function named(kind: string, name: string | undefined): string {
    return name ? `${kind} '${name}'` : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} without a name`;
}

/** The candidates closest to `word` (smallest edit distance first, at most `limit`). */
export function nearest(word: string, candidates: readonly string[], limit = 3): string[] {
    return candidates
        .map((c) => ({ c, d: editDistance(word.toLowerCase(), c.toLowerCase()) }))
        .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
        .slice(0, limit)
        .map((x) => x.c);
}

