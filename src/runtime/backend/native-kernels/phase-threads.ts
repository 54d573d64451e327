// Threads per inference phase, measured. The native kernels split work over OpenMP threads whose
// workers wait passively (addon.ts); waking one costs 25-70 µs on an idle core and far more when
// its virtual CPU has gone to sleep, so whether a second thread pays depends on the whole phase,
// not on one kernel: kernels that run back to back keep the worker awake, sparse ones wake it
// cold. On this 2-core VM MobileNetV2's frozen forward pass at batch 32 (≈50 convolutions of
// 0.1-1 ms) ran 1.2-1.5x SLOWER on two threads than on one, while small_cnn's training steps ran
// ≈1.3x faster on two. Timing single kernels both ways could not tell: each kernel's cost on two
// threads depended on how recently the others had woken the worker.
//
// So a frozen graph's inference (predict, its frozen prefix) is timed as a whole: its first call
// runs on all threads and its second on one (both untimed: they create each count's primitives),
// then timed calls alternate; the faster in total is kept, one thread on a tie within 5% (it
// leaves the core free). The choice is measured again every 256 calls, as a machine's load
// changes. With one thread configured, without the native kernels, or inside another phase's
// call, calls just run.
//
// Only inference: its convolutions split their outputs over the threads, never their sums, so
// one thread and two give the same bits (test/backend/phase-threads.test.ts) and the timing-based
// choice cannot change a run's numbers. A training step's filter gradients sum over the batch in
// per-thread parts, so its thread count stays the one configured: the same command, the same bits.
import { loadNativeAddon } from './addon.js';
import { nativeThreadCount } from './index.js';

const REPROBE_CALLS = 256;

/** Calls under way of any phase: an inner phase runs on the outer one's count. */
let depth = 0;

export class PhaseThreads {
    /** timedTrials: timed calls before a decision, half on each count (even). */
    constructor(private readonly timedTrials = 4) {}

    private calls = 0;
    private readonly total = [0, 0]; // ms on all threads, on one
    private oneThread: boolean | undefined;
    private sinceDecision = 0;

    /** Which count the decision took (for logs and tests); undefined while measuring. */
    get decision(): 'one thread' | 'all threads' | undefined {
        return this.oneThread === undefined ? undefined : this.oneThread ? 'one thread' : 'all threads';
    }

    run<T>(fn: () => T): T {
        const threads = nativeThreadCount();
        const load = loadNativeAddon();
        if (threads <= 1 || !load.ok || depth > 0) return fn();
        depth++;
        try {
            return this.measured(threads, load.addon, fn);
        } finally {
            depth--;
        }
    }

    private measured<T>(threads: number, addon: { setThreads(n: number): void }, fn: () => T): T {
        if (this.oneThread !== undefined && ++this.sinceDecision >= REPROBE_CALLS) {
            this.oneThread = undefined;
            this.calls = 2; // both counts' primitives exist: every trial is timed
            this.total[0] = this.total[1] = 0;
        }
        const single = this.oneThread ?? this.calls % 2 === 1;
        if (!single) return this.trial(false, fn);
        addon.setThreads(1);
        try {
            return this.trial(true, fn);
        } finally {
            addon.setThreads(threads);
        }
    }

    private trial<T>(single: boolean, fn: () => T): T {
        if (this.oneThread !== undefined) return fn();
        const started = performance.now();
        const out = fn();
        if (this.calls >= 2) this.total[single ? 1 : 0]! += performance.now() - started;
        if (++this.calls >= 2 + this.timedTrials) {
            this.oneThread = this.total[1]! <= this.total[0]! * 1.05;
            this.sinceDecision = 0;
        }
        return out;
    }
}
