// Bounded concurrency for work that runs on libuv's thread pool (sharp, fs): enough tasks in
// flight to keep every core busy, never so many that memory grows with N. Plus a spread-free
// append for lists of hundreds of thousands of samples.

import { availableParallelism } from 'node:os';

/** A default for decode concurrency: sharp work runs on libuv's pool (4 threads by default). */
export function defaultConcurrency(): number {
    return Math.max(2, Math.min(8, availableParallelism() * 2));
}

/** Runs `fn` over `items` with at most `limit` calls pending; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i], i);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** A counting semaphore: `run` waits for a free slot. Shared by all batches in flight. */
export class Limiter {
    private active = 0;
    private readonly waiting: (() => void)[] = [];
    constructor(private readonly limit: number) {}

    async run<R>(fn: () => Promise<R>): Promise<R> {
        // A finishing task hands its slot straight to the next waiter, so the limit is never exceeded.
        if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
        else this.active++;
        try {
            return await fn();
        } finally {
            const next = this.waiting.shift();
            if (next) next();
            else this.active--;
        }
    }
}

/** target.push(...items) without the argument-count limit of spreading (huge datasets). */
export function append<T>(target: T[], items: readonly T[]): void {
    for (const item of items) target.push(item);
}
