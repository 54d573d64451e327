// Internal shapes shared by the sources, the splitter and the pipeline.

import type { SplitName } from '../../core/plan/types.js';

/** Where a sample's pixels come from: an image file, or pixels already in memory (IDX, mnist). */
export type SampleSource =
    | { kind: 'file'; path: string }
    | { kind: 'raw'; pixels: Uint8Array; width: number; height: number; channels: number };

/** One image as a source lists it, before label spaces and splits are known. */
export interface RawSample {
    /** Stable, human-readable id: the path relative to the source root, or `<file>#<n>`. */
    key: string;
    /** For warnings and `skipped`: the absolute path (plus `#n` inside an archive). */
    origin: string;
    source: SampleSource;
    /** Label values by column. The default column of a multi-label dataset may hold several. */
    labels: Record<string, string[]>;
    /** Split given by the layout itself (`source folder … splits …`). */
    split?: SplitName;
}

export interface SourceListing {
    samples: RawSample[];
    /** Absolute folder that sample keys are relative to (for splits.json). */
    root: string;
    /** Label columns in file order; `defaultColumn` is one of them. */
    columns: string[];
    defaultColumn: string;
    /** Whether the listing already assigns every sample to a split. */
    presplit: boolean;
}
