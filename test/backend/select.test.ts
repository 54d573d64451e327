// Backend selection on a machine without tfjs-node (this one: its install needs a download).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../src/runtime/backend/native-kernels/addon.js';
import { autoThreads, gpuFallbackWarning, selectBackend } from '../../src/runtime/backend/select.js';

describe('selectBackend', () => {
    it('auto falls through the missing tfjs-node packages to wasm with the training kernels', async () => {
        const chosen = await selectBackend('auto', { threads: 1 });
        expect(chosen.name).toBe('wasm');
        // With the native addon built (native/, needs oneDNN) the convolutions run on it; without
        // it the one warning says why and how to build it.
        const native = loadNativeAddon();
        if (native.ok) {
            expect(chosen.detail).toMatch(/^wasm \(SIMD, 1 thread, Graft training kernels\) \+ native oneDNN [\d.]+ kernels \(1 thread\)$/);
            expect(chosen.warnings).toEqual([]);
        } else {
            expect(chosen.detail).toMatch(/^wasm \(SIMD, 1 thread, Graft training kernels\)$/);
            // Turned off on purpose (GRAFT_NATIVE=0) is no news; missing is.
            if (process.env['GRAFT_NATIVE'] === '0') expect(chosen.warnings).toEqual([]);
            else expect(chosen.warnings).toEqual([expect.stringMatching(/^Native kernels unavailable.*libdnnl-dev/)]);
        }
        expect(tf.getBackend()).toBe('wasm');
        expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    });

    it('a named backend that is not installed is an error naming the package', async () => {
        await expect(selectBackend('tfjs-node')).rejects.toThrow(/@tensorflow\/tfjs-node is not installed/);
        await expect(selectBackend('tfjs-node-gpu')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu/);
    });

    it('gpu without a GPU backend runs on the CPU and says so', async () => {
        const chosen = await selectBackend('gpu', { threads: 1 });
        expect(chosen.name).toBe('wasm');
        expect(chosen.warnings.join('\n')).toMatch(/gpu requested but unavailable/);
    });

    it('js selects the pure JavaScript backend', async () => {
        const chosen = await selectBackend('js');
        expect(chosen.name).toBe('cpu');
        expect(tf.getBackend()).toBe('cpu');
        await selectBackend('wasm', { threads: 1 });
        expect(tf.getBackend()).toBe('wasm');
    });

    it('uses threads only when the cores are not busy', () => {
        expect(autoThreads(2, 0.2)).toBe(2);
        expect(autoThreads(2, 1.5)).toBe(1);
        expect(autoThreads(1, 0)).toBe(1);
        expect(autoThreads(16, 1)).toBe(4);
    });

    it('explains the tfjs-node-gpu silent CPU fallback with the CUDA found', () => {
        const dir = mkdtempSync(join(tmpdir(), 'graft-cuda-'));
        writeFileSync(join(dir, 'libcudart.so.12'), '');
        const warning = gpuFallbackWarning([dir]);
        expect(warning).toMatch(/running on the CPU/);
        expect(warning).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
        expect(warning).toMatch(/found CUDA runtime 12/);
        expect(gpuFallbackWarning([join(dir, 'missing')])).toMatch(/found no CUDA runtime/);
    });
});
