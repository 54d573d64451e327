// Writes labels.csv next to this file: every image of ../fashion5 with a label that carries no
// information about what the image shows. Used by examples/negative-transfer.graft to pretrain a
// backbone on noise. Reproducible: the file list is sorted and the shuffle uses a fixed seed, so
// running it again (`npx tsx examples/data/fashion5-noise/make.ts`) gives the same bytes.
//
// The labels are not merely random: within every clothing class the images are dealt round-robin
// over the noise classes after a seeded shuffle, so each noise class holds the same number of
// images of each clothing class (20 of each for 100 images per class). The noise label is then
// exactly independent of the true class — no accidental correlation a backbone could exploit.

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, shuffleInPlace } from '../../../src/runtime/data/prng.js';

const HERE = import.meta.dirname;
const IMAGES = join(HERE, '..', 'fashion5');
const NOISE_CLASSES = ['noise_a', 'noise_b', 'noise_c', 'noise_d', 'noise_e'];
const SEED = 20261122;

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const rng = mulberry32(SEED);
const rows: [string, string][] = [];
for (const cls of readdirSync(IMAGES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort(byName)) {
    const files = readdirSync(join(IMAGES, cls)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort(byName);
    shuffleInPlace(files, rng);
    files.forEach((f, i) => rows.push([`${cls}/${f}`, NOISE_CLASSES[i % NOISE_CLASSES.length]]));
}
// Sorted by file so the CSV does not reveal the deal order.
rows.sort((a, b) => byName(a[0], b[0]));
writeFileSync(join(HERE, 'labels.csv'), ['file,label', ...rows.map((r) => r.join(','))].join('\n') + '\n');
console.log(`wrote ${rows.length} rows to ${join(HERE, 'labels.csv')}`);
