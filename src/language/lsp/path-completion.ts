// Folder and file names for path strings in a spec (`source folder "…"`, csv, images, weights,
// export), listed relative to the spec file's folder as the reference defines paths. Hidden
// entries are skipped; a folder that cannot be read simply offers nothing.
import { readdirSync, type Dirent } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';

export interface PathKindWanted {
    dirs: boolean;
    /** File extensions offered besides folders (lower case, with the dot). */
    extensions?: string[];
}

export interface PathEntry {
    name: string;
    dir: boolean;
    detail: string;
}

/** Entries of `<folder of specFile>/<dirPart>` that fit `wanted`, folders first. */
export function listPathCompletions(specFile: string, dirPart: string, wanted: PathKindWanted): PathEntry[] {
    const base = isAbsolute(dirPart) ? dirPart : resolve(dirname(specFile), dirPart || '.');
    let entries: Dirent[];
    try {
        entries = readdirSync(base, { withFileTypes: true });
    } catch {
        return [];
    }
    const out: PathEntry[] = [];
    for (const e of entries) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        if (e.isDirectory()) {
            if (wanted.dirs || wanted.extensions) out.push({ name: e.name, dir: true, detail: 'folder' });
        } else if (wanted.extensions?.includes(extname(e.name).toLowerCase())) {
            out.push({ name: e.name, dir: false, detail: 'file' });
        }
    }
    return out.sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
}
