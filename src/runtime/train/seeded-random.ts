// tfjs draws every unseeded random number (initialisers, dropout masks) from Math.random. To make
// `seed` repeat a run exactly, the trainer swaps in a seeded generator for the duration of a run
// and re-seeds it at each epoch from (seed, phase, stage, epoch): a resumed run draws the same
// numbers from its restart epoch on as an uninterrupted one.

export function mulberry32(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

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
