// `source folder "<dir>"`: one sub-folder per class (ImageFolder layout), files found recursively
// inside each class folder. With `splits "train", "val", …` the tree is <dir>/<split>/<class>/….

import { promises as fs, type Dirent } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { DatasetPlan, SplitName } from '../../../core/plan/types.js';
import { dataError, describeError, type SkipLog } from '../errors.js';
import type { RawSample, SourceListing } from '../types.js';
import { IMAGE_EXTENSIONS, isIgnorable } from './image-files.js';
import { append } from '../concurrency.js';

export const DEFAULT_COLUMN = 'label';

/** Maps a split folder name to the split it stands for. */
export function splitNameOf(name: string): SplitName | undefined {
    const n = name.toLowerCase();
    if (n === 'train' || n === 'training') return 'train';
    if (n === 'val' || n === 'valid' || n === 'validation' || n === 'dev') return 'val';
    if (n === 'test' || n === 'testing') return 'test';
    return undefined;
}

async function readDir(dir: string, log: SkipLog): Promise<Dirent[] | undefined> {
    try {
        return await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
        log.skip(dir, `cannot read folder: ${describeError(e)}`);
        return undefined;
    }
}

/** All candidate image files below `dir`, sorted, reporting files that are not images. */
async function listFiles(dir: string, log: SkipLog): Promise<string[]> {
    const entries = await readDir(dir, log);
    if (!entries) return [];
    const out: string[] = [];
    for (const e of entries) {
        if (isIgnorable(e.name)) continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) append(out, await listFiles(p, log));
        else if (IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
        // Symlinks and other entries with an image name are kept: the header check decides.
        else if (!e.isFile() && !e.isSymbolicLink()) log.skip(p, 'not a regular file');
        else log.skip(p, `not an image file (extension "${extname(e.name) || 'none'}")`);
    }
    return out.sort();
}

async function classFolders(plan: DatasetPlan, dir: string, log: SkipLog): Promise<string[]> {
    let entries: Dirent[];
    try {
        entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
        throw dataError(plan, `cannot read the folder ${dir} (${describeError(e)}). Check the path in \`source folder\`; relative paths are resolved from the .graft file's folder.`);
    }
    const dirs: string[] = [];
    for (const e of entries) {
        if (isIgnorable(e.name)) continue;
        if (e.isDirectory() || e.isSymbolicLink()) dirs.push(e.name);
    }
    return dirs.sort();
}

async function listTree(plan: DatasetPlan, dir: string, root: string, split: SplitName | undefined, log: SkipLog): Promise<RawSample[]> {
    const samples: RawSample[] = [];
    const classes = await classFolders(plan, dir, log);
    if (classes.length === 0) {
        throw dataError(plan, `the folder ${dir} has no class sub-folders. Put the images of each class in a folder named for the class (e.g. ${join(dir, 'cat')}/1.jpg).`);
    }
    for (const cls of classes) {
        const files = await listFiles(join(dir, cls), log);
        if (files.length === 0) {
            log.skip(join(dir, cls), "empty class folder (no image files)");
            continue;
        }
        for (const path of files) {
            samples.push({ key: relative(root, path), origin: path, source: { kind: 'file', path }, labels: { [DEFAULT_COLUMN]: [cls] }, split });
        }
    }
    return samples;
}

export async function listFolder(plan: DatasetPlan, source: { dir: string; splits?: string[] }, log: SkipLog): Promise<SourceListing> {
    const root = source.dir;
    let samples: RawSample[] = [];
    if (source.splits && source.splits.length > 0) {
        for (const name of source.splits) {
            const split = splitNameOf(name);
            if (!split) {
                throw dataError(plan, `split folder "${name}" is not one of train, val, test. Rename it or list only train/val/test in \`splits\`.`);
            }
            const sub = join(root, name);
            append(samples, await listTree(plan, sub, root, split, log));
        }
    } else {
        samples = await listTree(plan, root, root, undefined, log);
    }
    return { samples, root, columns: [DEFAULT_COLUMN], defaultColumn: DEFAULT_COLUMN, presplit: !!source.splits?.length };
}
