// The misclassified gallery end to end: a tiny real run on fashion5 with `evaluate on test` and
// `evaluate on <dataset>` writes PNG thumbnails into the run folder and lists them in
// results.json; the editor's results view reads them back and the panel renders them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { exited, FASHION, graft } from './fixtures.js';
import { readRunResults } from '../../src/extension/runs/run-history.js';
import { installFakeDom, text, type FakeNode } from './fake-dom.js';

const SHIFTED = join(FASHION, '../fashion5-shifted');

function spec(): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'graft-gallery-'));
    const file = join(dir, 'gallery.graft');
    writeFileSync(
        file,
        `dataset tiny {
  source folder "${FASHION}"
  image 8 x 8 grayscale
  normalize symmetric
  split train 60%, val 20%, test 20% stratified
}

dataset shifted {
  source folder "${SHIFTED}"
  image 8 x 8 grayscale
  normalize symmetric
}

experiment tiny_run {
  data tiny
  backbone small_cnn filters 4, 8
  head {
    pool average
    output softmax
  }
  optimizer adam lr 1e-2
  train {
    epochs 1
    batch 32
  }
  evaluate on test
  evaluate on shifted
  metrics accuracy, confusion
  seed 5
}
`
    );
    return { dir, file };
}

interface Entry {
    split: string;
    image: string;
    source: string;
    trueLabel: string;
    predicted: string;
    confidence: number;
}

describe('misclassified gallery', () => {
    let runDir: string;
    let specFile: string;
    let results: { misclassified: Entry[]; metrics: Record<string, { confusion: number[][] }>; classes: string[][] };

    beforeAll(async () => {
        const { dir, file } = spec();
        specFile = file;
        expect(await exited(graft(['run', file, '--backend', 'wasm']))).toBe(0);
        const root = join(dir, 'runs', 'tiny_run');
        runDir = join(root, readdirSync(root)[0]!);
        results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    });

    it('lists up to 24 mistakes per evaluated split, most confident first, with true/predicted labels and sources', async () => {
        const classes = results.classes[0]!;
        for (const split of ['test', 'shifted']) {
            const mine = results.misclassified.filter((m) => m.split === split);
            const confusion = results.metrics[split]!.confusion;
            const wrong = confusion.reduce((s, row, i) => s + row.reduce((a, v, j) => a + (i === j ? 0 : v), 0), 0);
            expect(wrong).toBeGreaterThan(0); // one epoch of a tiny model: there are mistakes to show
            expect(mine.length).toBe(Math.min(24, wrong));
            for (let i = 1; i < mine.length; i++) expect(mine[i]!.confidence).toBeLessThanOrEqual(mine[i - 1]!.confidence);
            // every (true, predicted) pair shown is an off-diagonal cell of the confusion matrix
            for (const m of mine) {
                expect(m.predicted).not.toBe(m.trueLabel);
                expect(confusion[classes.indexOf(m.trueLabel)]![classes.indexOf(m.predicted)]).toBeGreaterThan(0);
                expect(m.confidence).toBeGreaterThan(1 / classes.length - 1e-6);
                expect(m.confidence).toBeLessThanOrEqual(1);
                // the source is the original file, relative to the spec, in its class folder
                expect(existsSync(join(dirname(specFile), m.source))).toBe(true);
                expect(m.source.split('/').at(-2)).toBe(m.trueLabel);
                expect(m.source).toContain(split === 'test' ? 'fashion5/' : 'fashion5-shifted/');
            }
            expect(mine.map((m) => m.image)).toEqual(mine.map((_, i) => `misclassified/${split}/${i + 1}.png`));
        }
    });

    it('writes each thumbnail as an 8×8 grayscale PNG of the un-normalised image', async () => {
        const first = results.misclassified[0]!;
        const meta = await sharp(join(runDir, first.image)).metadata();
        expect(meta).toMatchObject({ format: 'png', width: 8, height: 8 });
        // the thumbnail matches the source decoded the way the data pipeline does (±1 for rounding)
        const thumb = await sharp(join(runDir, first.image)).greyscale().raw().toBuffer();
        const original = await sharp(join(dirname(specFile), first.source)).flatten({ background: '#000000' }).greyscale().resize(8, 8, { fit: 'fill' }).raw().toBuffer();
        expect(thumb.length).toBe(64);
        const meanAbs = thumb.reduce((s, v, i) => s + Math.abs(v - original[i]!), 0) / 64;
        expect(meanAbs).toBeLessThan(24); // resampling differences only; an un-inverted image would be far off
        expect(Math.max(...thumb)).toBeGreaterThan(40); // not the normalised values clamped to black
    });

    it('is read by the results view and rendered by the panel as one gallery per split', async () => {
        const view = readRunResults(runDir)!;
        expect(view.misclassified).toHaveLength(results.misclassified.length);
        expect(view.misclassified![0]).toMatchObject({ image: join(runDir, results.misclassified[0]!.image), split: results.misclassified[0]!.split, trueLabel: results.misclassified[0]!.trueLabel });
        installFakeDom();
        const { gallery } = await import('../../src/extension/panel/app/render-results.js');
        const images = Object.fromEntries(view.misclassified!.map((m) => [m.image, `https://webview.test${m.image}`]));
        const sections = gallery(view, images) as unknown as FakeNode[];
        const titles = sections.map((s) => text(s.children[0]!));
        const count = (split: string) => results.misclassified.filter((m) => m.split === split).length;
        expect(titles).toEqual([`Misclassified test images (${count('test')})`, `Misclassified images: shifted (${count('shifted')})`]);
        const figures = sections[0]!.children[1]!.children;
        expect(figures).toHaveLength(count('test'));
        const first = results.misclassified[0]!;
        const img = figures[0]!.children[0]!;
        expect(img.attrs.src).toBe(`https://webview.test${join(runDir, first.image)}`);
        expect(text(figures[0]!.children[1]!)).toBe(`true ${first.trueLabel}pred ${first.predicted} (${(first.confidence * 100).toFixed(0)}%)`);
        expect(figures[0]!.attrs.title).toBe(first.source);
    });
});
