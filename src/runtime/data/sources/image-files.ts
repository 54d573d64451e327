// Which files count as images, and a cheap header check run while indexing so unusable files
// (zero-byte, not an image, unreadable) are skipped before splits are drawn. Truncated bodies are
// only found when decoding; the pipeline skips those then.

import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { describeError } from '../errors.js';
import { mapLimit } from '../concurrency.js';

export { IMAGE_EXTENSIONS, isIgnorable } from '../../../core/data/image-files.js';

/** Returns undefined when the file looks like a decodable image, else the reason it is not. */
export async function checkImageFile(path: string): Promise<string | undefined> {
    let size: number;
    try {
        const st = await fs.stat(path);
        if (!st.isFile()) return 'not a regular file';
        size = st.size;
    } catch (e) {
        return `cannot read: ${describeError(e)}`;
    }
    if (size === 0) return 'empty file (0 bytes)';
    try {
        const meta = await sharp(path).metadata();
        if (!meta.width || !meta.height) return 'not an image (no dimensions in header)';
        return undefined;
    } catch (e) {
        return `not a readable image: ${describeError(e)}`;
    }
}

/** Checks many files with bounded concurrency; returns the reason per path (undefined = fine). */
export async function checkImageFiles(paths: string[], concurrency: number, signal?: AbortSignal): Promise<(string | undefined)[]> {
    return mapLimit(paths, concurrency, (p) => {
        signal?.throwIfAborted();
        return checkImageFile(p);
    });
}
