// The misclassified gallery of a run: small PNGs of the most confident mistakes of each evaluated
// split, in the run folder (`misclassified/<split>/<rank>.png`), listed in results.json with paths
// relative to the run folder. The editor's results panel turns those paths into webview URIs
// (its CSP loads images only from the run folders), so nothing is embedded in results.json.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { denormalize, type CollectedMistake } from '../eval/misclassified.js';
import type { SampleDisplay } from '../train/feed.js';
import { writeFileAtomic } from './files.js';

/** Mistakes shown per evaluated split. */
export const GALLERY_SIZE = 24;
/** Thumbnails keep the model's input size up to this side (the panel shows them at 72 px). */
const THUMB_MAX = 96;

export interface MisclassifiedImage {
    /** The evaluated split: `test` or an evaluation dataset's name. */
    split: string;
    /** The thumbnail, relative to the run folder. */
    image: string;
    /** The original image: its file relative to the spec, or `mnist/<digit>#<n>`. */
    source?: string;
    trueLabel: string;
    predicted: string;
    /** Probability the model gave the predicted class. */
    confidence: number;
}

/** Folder name for a split (dataset names are identifiers; anything else is made safe). */
const folderOf = (split: string) => split.replace(/[^A-Za-z0-9_-]/g, '_');

/** Removes thumbnails of an earlier evaluation of this run (a resumed run evaluates again). */
export function clearGallery(runDir: string): void {
    rmSync(join(runDir, 'misclassified'), { recursive: true, force: true });
}

export async function writeGallery(runDir: string, split: string, mistakes: CollectedMistake[], classes: string[], display: SampleDisplay): Promise<MisclassifiedImage[]> {
    const out: MisclassifiedImage[] = [];
    for (const [rank, m] of mistakes.entries()) {
        const [h, w, c] = m.shape;
        const channels = c === 3 ? 3 : 1;
        const pixels = denormalize(m.values, display.normalize, channels);
        let img = sharp(pixels, { raw: { width: w, height: h, channels } });
        // Small images keep their size (the panel scales them up, pixelated); large ones shrink.
        if (Math.max(h, w) > THUMB_MAX) img = img.resize({ width: THUMB_MAX, height: THUMB_MAX, fit: 'inside' });
        const png = await img.png().toBuffer();
        const image = `misclassified/${folderOf(split)}/${rank + 1}.png`;
        writeFileAtomic(join(runDir, image), png);
        out.push({
            split,
            image,
            ...(m.key !== undefined ? { source: display.source(m.key) } : {}),
            trueLabel: classes[m.trueClass] ?? String(m.trueClass),
            predicted: classes[m.predicted] ?? String(m.predicted),
            confidence: Number(m.confidence.toFixed(6))
        });
    }
    return out;
}
