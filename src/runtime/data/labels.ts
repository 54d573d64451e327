// Label spaces: the ordered class names of each label column. The default column follows the
// `classes` statement (filter + order) or is sorted; other CSV columns are single-label targets
// for named heads, always sorted (numbers numerically: "2" before "10").

import type { DatasetPlan } from '../../core/plan/types.js';
import { dataError } from './errors.js';
import type { RawSample, SourceListing } from './types.js';

export interface LabelSpace {
    column: string;
    classes: string[];
    /** True for the default column of a multi-label dataset: targets are multi-hot. */
    multiLabel: boolean;
}

/** A sample with its labels as class indices per column (an empty list = no target). */
export interface LabeledSample {
    raw: RawSample;
    targets: Record<string, number[]>;
}

export function naturalSort(values: Iterable<string>): string[] {
    return [...values].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0));
}

export interface Labeling {
    spaces: Record<string, LabelSpace>;
    defaultColumn: string;
    samples: LabeledSample[];
}

/**
 * Builds the label spaces and drops samples outside `classes` (single-label). A multi-label
 * image keeps only the listed classes and stays as a negative when none is left.
 */
export function buildLabeling(plan: DatasetPlan, listing: SourceListing): Labeling {
    const def = listing.defaultColumn;
    const multi = plan.task === 'multi_label';
    const found = new Map<string, Set<string>>(listing.columns.map((c) => [c, new Set<string>()]));
    for (const s of listing.samples) for (const c of listing.columns) for (const v of s.labels[c] ?? []) found.get(c)!.add(v);

    let mainClasses: string[];
    if (plan.classes) {
        const missing = plan.classes.filter((c) => !found.get(def)!.has(c));
        if (missing.length > 0) {
            const have = naturalSort(found.get(def)!);
            throw dataError(
                plan,
                `class${missing.length > 1 ? 'es' : ''} ${missing.map((m) => `"${m}"`).join(', ')} listed in \`classes\` ha${missing.length > 1 ? 've' : 's'} no usable image. ` +
                    `Classes found: ${have.length ? have.map((h) => `"${h}"`).join(', ') : 'none'}. Fix the \`classes\` list or add images.`
            );
        }
        mainClasses = [...plan.classes];
    } else {
        mainClasses = naturalSort(found.get(def)!);
    }
    const spaces: Record<string, LabelSpace> = {};
    for (const c of listing.columns) {
        spaces[c] = c === def ? { column: c, classes: mainClasses, multiLabel: multi } : { column: c, classes: naturalSort(found.get(c)!), multiLabel: false };
    }
    const index = new Map(Object.values(spaces).map((sp) => [sp.column, new Map(sp.classes.map((name, i) => [name, i]))]));
    const samples: LabeledSample[] = [];
    for (const raw of listing.samples) {
        const targets: Record<string, number[]> = {};
        for (const c of listing.columns) {
            const map = index.get(c)!;
            targets[c] = (raw.labels[c] ?? []).filter((v) => map.has(v)).map((v) => map.get(v)!);
        }
        // Single-label: an image of a class outside `classes` is not part of this dataset.
        if (!multi && targets[def].length === 0) continue;
        samples.push({ raw, targets });
    }
    return { spaces, defaultColumn: def, samples };
}
