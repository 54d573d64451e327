// Loading Graft's native kernels (native/graft_kernels.cc, built by `npm install` where a C++
// compiler and oneDNN's headers are present). Their absence is normal: the wasm kernels then do
// all the work. GRAFT_NATIVE=0 turns them off (for A/B measurements and to rule them out).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions; offsets are byte offsets into `heap`, a view of the whole wasm memory. */
export interface NativeAddon {
    conv(heap: Uint8Array, geometry: Int32Array, offsets: Float64Array, mode: number, alpha: number): void;
    matmul(heap: Uint8Array, shape: Float64Array, offsets: Float64Array, alpha: number): void;
    denseGrad(heap: Uint8Array, shape: Float64Array, offsets: Float64Array): void;
    denseSoftmax(heap: Uint8Array, shape: Float64Array, offsets: Float64Array, smoothing: number): void;
    relu(heap: Uint8Array, shape: Float64Array, offsets: Float64Array): void;
    binary(heap: Uint8Array, shape: Float64Array, offsets: Float64Array): void;
    batchNorm(heap: Uint8Array, shape: Float64Array, offsets: Float64Array, epsilon: number): void;
    maxPoolGrad(heap: Uint8Array, geometry: Float64Array, offsets: Float64Array, reluMask: number): void;
    maxPool(heap: Uint8Array, geometry: Float64Array, offsets: Float64Array): void;
    batchNormTrain(heap: Uint8Array, shape: Float64Array, offsets: Float64Array, epsilon: number): void;
    batchNormTrainGrad(heap: Uint8Array, shape: Float64Array, offsets: Float64Array, epsilon: number): void;
    adam(heap: Uint8Array, sizes: Float64Array, offsets: Float64Array, params: Float64Array): void;
    setThreads(threads: number): void;
    version(): string;
}

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

export const ADDON_FILE = join('native', 'build', 'Release', 'graft_kernels.node');

let loaded: AddonLoad | undefined;

/** The addon, loaded once per process, or why not. */
export function loadNativeAddon(): AddonLoad {
    if (loaded !== undefined) return loaded;
    if (process.env['GRAFT_NATIVE'] === '0') return (loaded = { ok: false, reason: 'turned off by GRAFT_NATIVE=0' });
    const path = findAddon(dirname(fileURLToPath(import.meta.url)));
    if (path === undefined) {
        return (loaded = {
            ok: false,
            reason: `${ADDON_FILE} is not built (it needs g++ and oneDNN: apt-get install g++ libdnnl-dev, then npm run build:native)`
        });
    }
    // oneDNN's OpenMP threads spin after each kernel by default. On a busy machine the spinning
    // threads hold the cores the next kernel needs: a small_cnn step took 220-840 ms instead of
    // 46 ms at a load average of 4 on 2 cores; even a short spin (GOMP_SPINCOUNT=20000) doubled
    // it under two busy processes. Passive waiting costs ≈10% on an idle machine (29 vs 32 ms),
    // which buys steady speed on a shared one. OpenMP reads this once, when the addon loads it;
    // a user's setting wins.
    process.env['OMP_WAIT_POLICY'] ??= 'passive';
    try {
        const addon = createRequire(import.meta.url)(path) as NativeAddon;
        addon.version();
        return (loaded = { ok: true, addon, path });
    } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        return (loaded = { ok: false, reason: `${path} did not load (${text.split('\n')[0]}); rebuild it with npm run build:native` });
    }
}

/** The project root's addon, searched upwards (sources run from src/, the build from out/). */
function findAddon(from: string): string | undefined {
    for (let dir = from, i = 0; i < 8; i++, dir = dirname(dir)) {
        const candidate = join(dir, ADDON_FILE);
        if (existsSync(candidate)) return candidate;
        if (dirname(dir) === dir) break;
    }
    return undefined;
}
