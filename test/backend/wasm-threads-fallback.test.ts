// When the threaded wasm build fails its trial run, selection falls back to one thread cleanly.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';

// The threaded build is what this file tests: without the native kernels, which keep wasm on
// one thread (select.ts).
process.env['GRAFT_NATIVE'] = '0';

vi.mock('../../src/runtime/backend/wasm-threads.js', async (importOriginal) => {
    const actual = await importOriginal<typeof import('../../src/runtime/backend/wasm-threads.js')>();
    return { ...actual, threadedWasmWorks: () => ({ ok: false, reason: 'worker failed to load (simulated)' }) };
});

describe('multi-threaded wasm fallback', () => {
    it('warns and runs on one thread when the threaded build does not work', async () => {
        const { selectBackend } = await import('../../src/runtime/backend/select.js');
        const chosen = await selectBackend('wasm', { threads: 2 });
        expect(chosen.name).toBe('wasm');
        expect(chosen.detail).toMatch(/1 thread,/);
        expect(chosen.warnings).toEqual(['Multi-threaded wasm unavailable (worker failed to load (simulated)); using one thread.']);
        // Ones through a 3x3x2 'same' conv of ones on 4x4: 2 x (4 corners x 4 + 8 edges x 6 + 4 inner x 9).
        expect(tf.tidy(() => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same')).dataSync()[0])).toBe(200);
    });

    it('a probe that cannot finish in time reports why', async () => {
        const { threadedWasmWorks } = await vi.importActual<typeof import('../../src/runtime/backend/wasm-threads.js')>('../../src/runtime/backend/wasm-threads.js');
        const result = threadedWasmWorks(2, 1, false);
        expect(result.ok).toBe(false);
        expect(result.reason).toMatch(/did not start within/);
    });
});
