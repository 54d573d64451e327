// The threaded wasm build in Node (wasm-threads.ts). Its own test file, hence its own process:
// the wasm module is process-wide.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/runtime/backend/select.js';
import { randomValues } from './compare.js';

// The threaded build is what this file tests: without the native kernels, which keep wasm on
// one thread (select.ts).
process.env['GRAFT_NATIVE'] = '0';

describe('multi-threaded wasm', () => {
    it('initialises with 2 threads and computes what the cpu backend computes', async () => {
        const chosen = await selectBackend('wasm', { threads: 2 });
        expect(chosen.warnings).toEqual([]);
        expect(chosen.detail).toMatch(/2 threads/);
        // Nothing of the workaround is left behind.
        expect(Object.getOwnPropertyDescriptor(Object.prototype, 'mainScriptUrlOrBlob')).toBeUndefined();
        expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);

        const x = randomValues([4, 24, 24, 16], 3);
        const w = randomValues([3, 3, 16, 32], 4);
        const run = () =>
            tf.tidy(() => {
                const out = tf.conv2d(tf.tensor4d(x, [4, 24, 24, 16]), tf.tensor4d(w, [3, 3, 16, 32]), 1, 'same');
                // A gradient too: our kernels on the threaded build.
                const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.tensor4d(x, [4, 24, 24, 16]), f as tf.Tensor4D, 1, 'same')))(tf.tensor4d(w, [3, 3, 16, 32]));
                return [out.dataSync(), g.dataSync()] as const;
            });
        const [wasmOut, wasmGrad] = run();
        await tf.setBackend('cpu');
        const [cpuOut, cpuGrad] = run();
        let diff = 0;
        for (let i = 0; i < cpuOut.length; i++) diff = Math.max(diff, Math.abs(cpuOut[i]! - wasmOut[i]!));
        for (let i = 0; i < cpuGrad.length; i++) diff = Math.max(diff, Math.abs(cpuGrad[i]! - wasmGrad[i]!) / 100);
        expect(diff).toBeLessThan(1e-4);
    });
});
