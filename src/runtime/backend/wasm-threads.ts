// Multi-threaded wasm in Node: a contained workaround.
//
// tfjs-backend-wasm never picks its threaded build in Node (its feature flag answers false when
// IS_NODE), and forcing the flag is not enough: emscripten creates its pthread workers from
// `blob:` URLs (the worker script via locateFile, the main script via `mainScriptUrlOrBlob`),
// which Node's worker_threads cannot load. XNNPACK also caps its pool at half the logical CPUs
// (one thread on a 2-core machine).
//
// While the backend initialises, we therefore (1) force the flag, (2) capture the Blobs the
// backend builds and hand emscripten real files holding the same script text instead of blob:
// URLs, and (3) ask for the thread count and report enough CPUs for XNNPACK to grant it.
// Every patch is undone once initialisation ends. Because a worker that fails to load raises an
// uncaught error (fatal to the process), threadedWasmWorks first tries all this in a child
// process; select.ts only goes ahead when that worked, and otherwise uses one thread.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';

const BLOB_PARTS = Symbol('graft.blobParts');

type Patchable = {
    Blob: typeof Blob;
};

function workDir(): string {
    const dir = join(tmpdir(), 'graft-wasm-threads');
    mkdirSync(dir, { recursive: true });
    return dir;
}

/** Writes a file atomically (temp + rename): concurrent processes may read it at any time. */
function writeAtomic(path: string, text: string): void {
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
}

/** Writes `text` to a content-addressed file under the OS temp folder and returns its path. */
function scriptFile(text: string, extension: string): string {
    const path = join(workDir(), `${createHash('sha256').update(text).digest('hex').slice(0, 16)}${extension}`);
    if (!existsSync(path)) writeAtomic(path, text);
    return path;
}

function blobText(parts: unknown[]): string | undefined {
    return parts.every((p) => typeof p === 'string') ? (parts as string[]).join('') : undefined;
}

/**
 * The Node bundle of tfjs-backend-wasm renames the emscripten factory's `require('fs')` etc. to
 * bundle-level variables (`require$$0 = require('fs')`, `commonjsGlobal`). The factory's
 * source, which the workers evaluate on their own, needs those definitions: copy them from the bundle.
 */
function bundleRequires(): string {
    const bundle = readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
    const lines = bundle.match(/^var (?:require\$\$\d+ = require\('[^']+'\)|commonjsGlobal = [^\n]*);$/gm) ?? [];
    return lines.join('\n') + '\n';
}

/**
 * Runs `init` (which must initialise the 'wasm' backend) with the threaded build enabled.
 * Returns the number of threads XNNPACK actually uses.
 */
export async function withThreadedWasm(threads: number, init: () => Promise<boolean>): Promise<number> {
    const g = globalThis as unknown as Patchable;
    const OriginalBlob = g.Blob;
    const originalCreate = URL.createObjectURL;
    const proto = Object.prototype as Record<string, unknown>;
    const hadSetter = Object.getOwnPropertyDescriptor(proto, 'mainScriptUrlOrBlob') !== undefined;
    if (hadSetter) throw new Error('mainScriptUrlOrBlob is already defined on Object.prototype');

    class RecordingBlob extends OriginalBlob {
        [BLOB_PARTS]: unknown[];
        constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
            super(parts, options);
            this[BLOB_PARTS] = parts ?? [];
        }
    }
    const pathOf = (value: unknown, extension: string, prelude = ''): string | undefined => {
        if (value instanceof RecordingBlob) {
            const text = blobText(value[BLOB_PARTS]);
            if (text !== undefined) return scriptFile(prelude + text, extension);
        }
        return undefined;
    };
    const prelude = bundleRequires();

    const flags = tf.env();
    const previousFlag = flags.getFlags()['WASM_HAS_MULTITHREAD_SUPPORT'];
    g.Blob = RecordingBlob as unknown as typeof Blob;
    // The worker script: emscripten passes the blob: URL to `new Worker(url)`; a .cjs path works.
    URL.createObjectURL = (obj: Blob | MediaSource) => pathOf(obj, '.cjs') ?? originalCreate.call(URL, obj as Blob);
    // The main script is handed to each worker as `mainScriptUrlOrBlob`; a string path makes the
    // worker read it with fs instead of creating a blob: URL it cannot load.
    Object.defineProperty(proto, 'mainScriptUrlOrBlob', {
        configurable: true,
        enumerable: false,
        set(this: object, value: unknown) {
            Object.defineProperty(this, 'mainScriptUrlOrBlob', {
                value: pathOf(value, '.js', prelude) ?? value,
                writable: true,
                enumerable: true,
                configurable: true
            });
        }
    });
    flags.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    // XNNPACK's pool is capped at half the logical CPUs that emscripten reports (os.cpus() in
    // Node): report twice the threads wanted while the backend creates its pool.
    const originalCpus = os.cpus;
    const realCpus = originalCpus.call(os);
    os.cpus = () => Array.from({ length: Math.max(realCpus.length, 2 * threads) }, (_, i) => realCpus[i % realCpus.length]!);
    try {
        const ok = await init();
        if (!ok) throw new Error('the threaded wasm build did not initialise');
        unrefWorkers();
        return getThreadsCount();
    } catch (err) {
        setThreadsCount(-1); // the default again, for a single-threaded retry
        throw err;
    } finally {
        os.cpus = originalCpus;
        g.Blob = OriginalBlob;
        URL.createObjectURL = originalCreate;
        delete proto['mainScriptUrlOrBlob'];
        if (previousFlag === undefined) flags.set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        else flags.set('WASM_HAS_MULTITHREAD_SUPPORT', previousFlag);
    }
}

interface NodeWorker {
    unref(): void;
}

interface PThreadRegistry {
    unusedWorkers: NodeWorker[];
    runningWorkers?: NodeWorker[];
    pthreads?: Record<string, NodeWorker>;
    allocateUnusedWorker(): void;
}

/**
 * emscripten's pthread workers keep Node's event loop alive, so a CLI run would never exit on
 * its own: unref them (and any the pool allocates later). XNNPACK's threads only ever run
 * inside a synchronous kernel call, so nothing is cut short when the process exits.
 */
function unrefWorkers(): void {
    const backend = tf.backend() as unknown as { wasm?: { PThread?: PThreadRegistry } };
    const registry = backend.wasm?.PThread;
    if (registry === undefined) return;
    const all = [...registry.unusedWorkers, ...(registry.runningWorkers ?? []), ...Object.values(registry.pthreads ?? {})];
    for (const worker of all) worker.unref();
    const allocate = registry.allocateUnusedWorker.bind(registry);
    registry.allocateUnusedWorker = () => {
        allocate();
        registry.unusedWorkers[registry.unusedWorkers.length - 1]?.unref();
    };
}

/**
 * Whether the threaded build works here, tried once in a child process (a worker that fails to
 * load raises an uncaught error that would end this process, and a hang could not be undone).
 * The answer is cached per Node and tfjs-backend-wasm version.
 */
export function threadedWasmWorks(threads: number, timeoutMs = 120_000, useCache = true): { ok: boolean; reason?: string } {
    const cache = join(workDir(), `probe-${process.version}-${version_wasm}-${threads}.json`);
    if (useCache && existsSync(cache)) {
        try {
            return JSON.parse(readFileSync(cache, 'utf8')) as { ok: boolean; reason?: string };
        } catch {
            // A damaged cache file: probe again.
        }
    }
    const self = fileURLToPath(import.meta.url);
    const args = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
    const run = spawnSync(process.execPath, args, {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, GRAFT_WASM_THREADS_PROBE: String(threads) }
    });
    const last = run.stdout?.trim().split('\n').pop() ?? '';
    if (run.error !== undefined && (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
        return { ok: false, reason: `the threaded build did not start within ${timeoutMs / 1000} s` };
    }
    const result =
        run.status === 0 && last === `threads ${threads}`
            ? { ok: true }
            : { ok: false, reason: (run.stderr ?? '').trim().split('\n').filter((l) => /error/i.test(l))[0] ?? `probe exited with ${run.status}: ${last}` };
    writeAtomic(cache, JSON.stringify(result));
    return result;
}

async function probeMain(threads: number): Promise<void> {
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + '/');
    const granted = await withThreadedWasm(threads, () => tf.setBackend('wasm'));
    // A convolution large enough for XNNPACK to use its pool.
    tf.tidy(() => tf.conv2d(tf.ones([2, 32, 32, 16]) as tf.Tensor4D, tf.ones([3, 3, 16, 16]) as tf.Tensor4D, 1, 'same').dataSync());
    process.stdout.write(`threads ${granted}\n`);
    process.exit(0);
}

const probeThreads = Number(process.env['GRAFT_WASM_THREADS_PROBE']);
if (probeThreads > 1 && process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
    probeMain(probeThreads).catch((err: unknown) => {
        process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    });
}
