// Errors and warnings of the data pipeline. Bad files are never fatal: they are skipped and
// listed. Only a dataset that cannot be trained on (no usable image, too few shots, an empty
// split, a missing folder) is an error, and that error names the spec line and what to do.

import type { DatasetPlan, SpecLoc } from '../../core/plan/types.js';

/** A file (or record) left out of the dataset, reported in the run's results. */
export interface SkippedFile {
    /** Absolute path, or `<file>#<n>` for a record inside an archive such as an IDX file. */
    file: string;
    reason: string;
}

export class DataError extends Error {
    readonly dataset: string;
    readonly at?: SpecLoc;
    constructor(dataset: string, at: SpecLoc | undefined, message: string) {
        const where = at ? ` (${at.file}:${at.line}:${at.column})` : '';
        super(`dataset ${dataset}${where}: ${message}`);
        this.name = 'DataError';
        this.dataset = dataset;
        this.at = at;
    }
}

export function dataError(plan: Pick<DatasetPlan, 'name' | 'at'>, message: string): DataError {
    return new DataError(plan.name, plan.at, message);
}

/** Receives warnings as they happen (the CLI turns them into `log` events). */
export type WarnFn = (message: string) => void;

/** Collects skipped files and forwards a warning naming each one. */
export class SkipLog {
    readonly items: SkippedFile[] = [];
    private readonly seen = new Set<string>();
    constructor(private readonly datasetName: string, private readonly warn: WarnFn) {}

    skip(file: string, reason: string): void {
        if (this.seen.has(file)) return;
        this.seen.add(file);
        this.items.push({ file, reason });
        this.warn(`dataset ${this.datasetName}: skipped ${file}: ${reason}`);
    }

    has(file: string): boolean {
        return this.seen.has(file);
    }
}

export function describeError(e: unknown): string {
    if (e instanceof Error) {
        const code = (e as NodeJS.ErrnoException).code;
        // Keep the first line: libvips messages carry long multi-line traces.
        const first = e.message.split('\n')[0].trim();
        return code && !first.includes(code) ? `${code}: ${first}` : first;
    }
    return String(e);
}
