// tfjs draws every unseeded random number (initialisers, dropout masks) from Math.random. To make
// `seed` repeat a run exactly, the trainer swaps in a seeded generator for the duration of a run
// and re-seeds it at each epoch from (seed, phase, stage, epoch): a resumed run draws the same
// numbers from its restart epoch on as an uninterrupted one.

import { mulberry32 } from '../data/prng.js';

export { mulberry32 };

/** FNV-1a over the parts' text: a stable 32-bit seed from several values. */
export function hashSeed(...parts: (string | number)[]): number {
    let h = 0x811c9dc5;
    for (const ch of parts.join('\u0000')) {
        h ^= ch.charCodeAt(0);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
}

const original = Math.random;

/** Replaces Math.random with a generator seeded from `parts`; `restoreRandom` undoes it. */
export function seedRandom(...parts: (string | number)[]): void {
    Math.random = mulberry32(hashSeed(...parts));
}

export function restoreRandom(): void {
    Math.random = original;
}
