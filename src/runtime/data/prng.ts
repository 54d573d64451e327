// A small seeded PRNG of our own (mulberry32), so splits, shots and augmentation are identical
// across runs, machines and tfjs versions (tfjs' own seeding differs between backends).

export type Rng = () => number;

/** mulberry32: 32-bit state, uniform floats in [0, 1). */
export function mulberry32(seed: number): Rng {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Mixes several integers (seed, epoch, batch index, a purpose tag…) into one 32-bit seed. */
export function mixSeed(...parts: (number | string)[]): number {
    let h = 0x811c9dc5;
    for (const part of parts) {
        const s = typeof part === 'number' ? String(part) : part;
        for (let i = 0; i < s.length; i++) {
            h ^= s.charCodeAt(i);
            h = Math.imul(h, 0x01000193) >>> 0;
        }
        h ^= 0xff;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    // Final avalanche (murmur3 fmix32) so that nearby inputs give unrelated seeds.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
    for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        const t = items[i];
        items[i] = items[j];
        items[j] = t;
    }
    return items;
}

export function uniform(rng: Rng, lo: number, hi: number): number {
    return lo + (hi - lo) * rng();
}

/** Standard normal sample (Box–Muller). */
export function gaussian(rng: Rng): number {
    let u = rng();
    while (u <= Number.EPSILON) u = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
