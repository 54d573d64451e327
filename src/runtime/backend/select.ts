// Choosing the tfjs backend at run time: tfjs-node-gpu -> tfjs-node -> wasm (with Graft's
// training kernels) -> pure JS cpu. Both tfjs-node packages are optional dependencies that
// usually fail to install offline (their install script downloads libtensorflow), so they are
// imported dynamically and their absence is normal, not an error.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeAddon } from './native-kernels/addon.js';
import { registerNativeKernels, type NativeState } from './native-kernels/index.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';
import { threadedWasmWorks, withThreadedWasm } from './wasm-threads.js';

export type BackendPreference = 'auto' | 'gpu' | 'cpu' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'js';

export interface SelectedBackend {
    /** The tfjs backend name now active: 'tensorflow', 'wasm' or 'cpu'. */
    name: string;
    /** What it is, for logs and results.json, e.g. "wasm (SIMD, 2 threads, Graft training kernels)". */
    detail: string;
    warnings: string[];
}

export interface SelectOptions {
    /**
     * wasm threads. Default: GRAFT_WASM_THREADS, else automatic (see autoThreads). More than one
     * uses the threaded build (see wasm-threads.ts) and falls back to one thread when that fails.
     */
    threads?: number;
}

type Attempt = { ok: true; detail: string } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

/** Makes `pref`'s backend the active one (see the chain above) and says what was chosen and why. */
export async function selectBackend(pref: BackendPreference = 'auto', options: SelectOptions = {}): Promise<SelectedBackend> {
    const warnings: string[] = [];
    const chain = chainFor(pref);
    const failures: string[] = [];
    for (const candidate of chain) {
        const attempt = await tryBackend(candidate, warnings, options);
        if (attempt.ok) {
            if (failures.length > 0 && isExplicit(pref)) {
                warnings.push(`${pref} requested but unavailable (${failures.join('; ')}); using ${candidate}.`);
            }
            return { name: tf.getBackend(), detail: attempt.detail, warnings };
        }
        failures.push(`${candidate}: ${attempt.reason}`);
    }
    throw new Error(`No usable TensorFlow.js backend for '${pref}': ${failures.join('; ')}`);
}

type Candidate = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'js';

function chainFor(pref: BackendPreference): Candidate[] {
    switch (pref) {
        case 'auto':
            return ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'js'];
        // A GPU request still runs (on the CPU, with a warning) where no GPU backend exists.
        case 'gpu':
            return ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'js'];
        case 'cpu':
            return ['tfjs-node', 'wasm', 'js'];
        // Named backends are exact: failing to load one is an error, not a silent substitute.
        case 'tfjs-node-gpu':
        case 'tfjs-node':
        case 'wasm':
        case 'js':
            return [pref];
    }
}

function isExplicit(pref: BackendPreference): boolean {
    return pref === 'gpu';
}

async function tryBackend(candidate: Candidate, warnings: string[], options: SelectOptions): Promise<Attempt> {
    switch (candidate) {
        case 'tfjs-node-gpu':
            return tryTfjsNode('@tensorflow/tfjs-node-gpu', warnings);
        case 'tfjs-node':
            return tryTfjsNode('@tensorflow/tfjs-node', warnings);
        case 'wasm':
            return tryWasm(warnings, options);
        case 'js':
            return (await tf.setBackend('cpu'))
                ? { ok: true, detail: 'cpu (pure JavaScript; slow for convolutions)' }
                : { ok: false, reason: 'the pure JS backend did not initialise' };
    }
}

async function tryTfjsNode(pkg: string, warnings: string[]): Promise<Attempt> {
    try {
        // A variable specifier keeps bundlers and tsc from resolving the optional package.
        const specifier: string = pkg;
        await import(specifier);
    } catch (err) {
        return { ok: false, reason: `${pkg} is not installed or failed to load (${firstLine(err)})` };
    }
    if (tf.findBackend('tensorflow') === null && tf.engine().registryFactory['tensorflow'] === undefined) {
        return {
            ok: false,
            reason: `${pkg} loaded but registered its backend with a different copy of @tensorflow/tfjs; install matching versions (4.22.0)`
        };
    }
    if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${pkg}: the 'tensorflow' backend did not initialise` };
    const backend = tf.backend() as unknown as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean };
    if (pkg.endsWith('-gpu')) {
        if (backend.isUsingGpuDevice === false) {
            warnings.push(gpuFallbackWarning());
            return { ok: true, detail: 'tensorflow (tfjs-node-gpu, running on the CPU: no usable CUDA)' };
        }
        return { ok: true, detail: 'tensorflow (tfjs-node-gpu, CUDA)' };
    }
    return { ok: true, detail: 'tensorflow (tfjs-node, libtensorflow on the CPU)' };
}

/**
 * tfjs-node-gpu 4.x ships libtensorflow 2.x built for CUDA 11.2 + cuDNN 8.1. With another CUDA
 * (typically 12) it cannot load libcudart.so.11.0 / libcudnn.so.8 and silently runs on the CPU.
 */
export function gpuFallbackWarning(searchDirs = cudaLibraryDirs()): string {
    const found = new Set<string>();
    for (const dir of searchDirs) {
        try {
            for (const f of readdirSync(dir)) {
                const m = /^libcudart\.so\.(\d+(?:\.\d+)?)/.exec(f);
                if (m) found.add(m[1]!);
            }
        } catch {
            // Missing or unreadable folders are expected.
        }
    }
    const seen = found.size > 0 ? `found CUDA runtime ${[...found].sort().join(', ')}` : 'found no CUDA runtime (libcudart)';
    return (
        `tfjs-node-gpu is running on the CPU, not the GPU: it needs CUDA 11.2 and cuDNN 8.1 ` +
        `(libcudart.so.11.0, libcudnn.so.8) and ${seen}. Install CUDA 11.2 + cuDNN 8.1 next to your ` +
        `CUDA (and add them to LD_LIBRARY_PATH), or use 'device cpu' to make the CPU choice explicit.`
    );
}

function cudaLibraryDirs(): string[] {
    const dirs = (process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d.length > 0);
    dirs.push('/usr/local/cuda/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64');
    try {
        for (const d of readdirSync('/usr/local')) if (d.startsWith('cuda-')) dirs.push(join('/usr/local', d, 'lib64'));
    } catch {
        // No /usr/local: nothing to add.
    }
    return dirs;
}

/** The folder holding tfjs-backend-wasm's .wasm files (shipped in its npm package). */
export function wasmBinaryDir(): string {
    const main = require.resolve('@tensorflow/tfjs-backend-wasm');
    const dir = dirname(main);
    if (!existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm'))) {
        throw new Error(`tfjs-backend-wasm's .wasm files are missing from ${dir}; reinstall @tensorflow/tfjs-backend-wasm`);
    }
    return dir + '/';
}

let wasmThreads = 0;

async function tryWasm(warnings: string[], options: SelectOptions): Promise<Attempt> {
    try {
        setWasmPaths(wasmBinaryDir());
    } catch (err) {
        return { ok: false, reason: firstLine(err) };
    }
    registerWasmTrainingKernels();
    nativeWanted = requestedThreads(options);
    // With the native kernels, convolutions, products and BatchNorm run on oneDNN's own threads;
    // wasm's threaded build then only adds synchronisation to the small kernels left on it (a
    // small_cnn step: 41 ms with 2 wasm + 2 native threads, 27 ms with 1 + 2, 30 ms with 1 + 1;
    // MobileNetV2 fine-tuning 45 / 30 / 31 ms), so wasm stays on one thread.
    const wanted = loadNativeAddon().ok ? 1 : nativeWanted;
    if (tf.findBackend('wasm') !== null && wasmThreads > 0) {
        if (wanted !== wasmThreads && options.threads !== undefined) {
            warnings.push(`wasm is already running with ${wasmThreads} thread(s) in this process; ${wanted} take effect in a new process.`);
        }
        if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not initialise' };
        return { ok: true, detail: wasmDetail(warnings) };
    }
    if (wanted > 1 && tf.findBackend('wasm') === null) {
        const registration = tf.engine().registryFactory['wasm'];
        const probe = threadedWasmWorks(wanted);
        try {
            if (!probe.ok) throw new Error(probe.reason ?? 'the threaded build failed its trial run');
            await withThreadedWasm(wanted, () => tf.setBackend('wasm'));
            wasmThreads = getThreadsCount();
            return { ok: true, detail: wasmDetail(warnings) };
        } catch (err) {
            warnings.push(`Multi-threaded wasm unavailable (${firstLine(err)}); using one thread.`);
            // Clear the failed instance so the single-threaded build initialises afresh.
            if (tf.findBackend('wasm') !== null && registration !== undefined) {
                tf.removeBackend('wasm');
                tf.registerBackend('wasm', registration.factory, registration.priority);
            }
        }
    }
    if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not initialise' };
    wasmThreads = getThreadsCount();
    return { ok: true, detail: wasmDetail(warnings) };
}

/** What runs the convolutions and matrix products: oneDNN (native) where the addon loads. */
let native: NativeState | undefined;
/** The thread count asked for, which the native kernels get. */
let nativeWanted = 1;

function wasmDetail(warnings: string[]): string {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
    const first = native === undefined;
    native = registerNativeKernels(nativeWanted);
    if (first && !native.active && process.env['GRAFT_NATIVE'] !== '0') {
        warnings.push(`Native kernels unavailable, convolutions run on wasm (slower): ${native.reason}.`);
    }
    const wasm = `wasm (${simd}, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}, Graft training kernels)`;
    return native.active ? `${wasm} + native ${native.version} kernels (${native.threads} thread${native.threads === 1 ? '' : 's'})` : wasm;
}

/** Whether convolutions and matrix products run natively (oneDNN), for reports. */
export function nativeKernelState(): NativeState | undefined {
    return native;
}

function requestedThreads(options: SelectOptions): number {
    const fromEnv = Number(process.env['GRAFT_WASM_THREADS']);
    const wanted = options.threads ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : autoThreads());
    return Math.max(1, Math.min(Math.floor(wanted), os.availableParallelism()));
}

/**
 * Threads when the cores are free, one when they are busy. With idle cores two threads ran
 * MobileNetV2 forward 1.6x faster (notes/backends.md); on this shared machine under a load
 * average of ~20 on 2 cores they ran 0.5-0.7x as fast (XNNPACK's workers wait for cores that
 * other processes hold), and the threaded build costs ≈1.5 s more CPU to start.
 */
export function autoThreads(cpus = os.availableParallelism(), load = os.loadavg()[0] ?? 0): number {
    if (cpus < 2 || load > cpus / 2) return 1;
    return Math.min(cpus, 4);
}

function firstLine(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    return text.split('\n')[0] ?? text;
}
