// Downloads weight files once into a cache folder: `$GRAFT_CACHE/weights/<sha256 of URL>/`
// (default GRAFT_CACHE = ~/.cache/graft). Files are written atomically (temp + rename), checked
// against a sha256 (or Keras' md5) when one is given, and every failure names the URL and the
// path where a copy can be placed by hand on an offline machine.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { pidAlive } from '../scratch.js';
import { replaceFile } from '../runs/files.js';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

export class WeightsError extends Error {}

/** Graft's cache root: $GRAFT_CACHE, else ~/.cache/graft. */
export function graftCacheRoot(): string {
    return process.env.GRAFT_CACHE && process.env.GRAFT_CACHE.length > 0 ? process.env.GRAFT_CACHE : join(homedir(), '.cache', 'graft');
}

export function sha256Hex(data: Uint8Array | string): string {
    return createHash('sha256').update(data).digest('hex');
}

/** The folder that holds the files downloaded for `url`. */
export function cacheDirFor(url: string): string {
    return join(graftCacheRoot(), 'weights', sha256Hex(url));
}

export interface Checksum {
    /** Expected sha256 of the file, hex. */
    sha256?: string;
    /** Expected md5 (what Keras publishes for its application weights), hex. */
    md5?: string;
}

function checksumProblem(data: Uint8Array, expected: Checksum): string | undefined {
    if (expected.sha256) {
        const got = sha256Hex(data);
        if (got !== expected.sha256.toLowerCase()) return `sha256 mismatch: expected ${expected.sha256.toLowerCase()}, got ${got}`;
    }
    if (expected.md5) {
        const got = createHash('md5').update(data).digest('hex');
        if (got !== expected.md5.toLowerCase()) return `md5 mismatch: expected ${expected.md5.toLowerCase()}, got ${got}`;
    }
    return undefined;
}

/** Writes a file atomically so that an interrupted download never leaves a half file in the cache. */
function writeAtomically(path: string, data: Uint8Array): void {
    replaceFile(path, `${path}.${process.pid}.${Date.now()}.part`, data);
}

/** Partial files (`<name>.<pid>.<time>.part`) left in `dir` by a process that was killed while writing. */
function sweepPartials(dir: string): void {
    let names: string[];
    try {
        names = readdirSync(dir).filter((n) => n.endsWith('.part'));
    } catch {
        return;
    }
    for (const n of names) {
        const pid = Number(n.split('.').at(-3));
        if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) rmSync(join(dir, n), { force: true });
    }
}

function describeFetchFailure(e: unknown): string {
    const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = err.cause?.code ?? err.code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'the server did not answer in time (connect timeout)';
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'the server stopped sending (idle timeout)';
    if (err.name === 'AbortError') return 'cancelled';
    return code ?? err.cause?.message ?? err.message;
}

export interface FetchOptions extends Checksum {
    /** Give up connecting after this long (ms). Default $GRAFT_CONNECT_TIMEOUT_MS or 30 s. */
    connectTimeoutMs?: number;
    /** Give up when the server sends nothing for this long (ms), before or during the body. Default $GRAFT_IDLE_TIMEOUT_MS or 60 s. */
    idleTimeoutMs?: number;
    /** Further attempts after a transient failure (network error, timeout, HTTP 429/5xx), with backoff. Default $GRAFT_DOWNLOAD_RETRIES or 3. */
    retries?: number;
    /** The first backoff (ms), doubled after each attempt. Default 500. */
    backoffMs?: number;
    /** Cancels the download at once (the run's cancellation). */
    signal?: AbortSignal;
}

export interface DownloadProgress {
    url: string;
    received: number;
    /** From Content-Length; undefined when the server does not say. */
    total?: number;
    done: boolean;
}

let progressListener: ((p: DownloadProgress) => void) | undefined;

/** Where download progress goes (the CLI's progress line); one listener per process. */
export function setDownloadProgress(listener: ((p: DownloadProgress) => void) | undefined): void {
    progressListener = listener;
}

const envNumber = (name: string, fallback: number): number => {
    const v = Number(process.env[name]);
    return process.env[name] !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
};

/** An HTTP error worth another attempt: the server is busy or broken for now, not refusing. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

class PermanentFailure extends Error {}

/**
 * Downloads `url` into memory through the proxy that HTTPS_PROXY / HTTP_PROXY name (NO_PROXY
 * respected), with connect and idle timeouts and retries with exponential backoff for transient
 * failures; WeightsError names the URL, the attempts and `placeAt` on failure.
 */
async function download(url: string, placeAt: string, options: FetchOptions): Promise<Uint8Array> {
    const offline = `If this machine is offline, download ${url} elsewhere and place it at ${placeAt}`;
    const idle = options.idleTimeoutMs ?? envNumber('GRAFT_IDLE_TIMEOUT_MS', 60_000);
    const dispatcher = new EnvHttpProxyAgent({ connectTimeout: options.connectTimeoutMs ?? envNumber('GRAFT_CONNECT_TIMEOUT_MS', 30_000), headersTimeout: idle, bodyTimeout: idle });
    const retries = options.retries ?? envNumber('GRAFT_DOWNLOAD_RETRIES', 3);
    let backoff = options.backoffMs ?? 500;
    const failures: string[] = [];
    try {
        for (let attempt = 0; ; attempt++) {
            if (options.signal?.aborted) throw new WeightsError(`the download of ${url} was cancelled`);
            try {
                return await attemptDownload(url, dispatcher, options.signal);
            } catch (e) {
                if (options.signal?.aborted) throw new WeightsError(`the download of ${url} was cancelled`);
                failures.push(e instanceof PermanentFailure ? e.message : describeFetchFailure(e));
                if (e instanceof PermanentFailure || attempt >= retries) break;
            }
            await sleep(backoff, options.signal);
            backoff *= 2;
        }
    } finally {
        // Cancelled: drop the sockets now (close() would wait for a hanging server to let go).
        if (options.signal?.aborted) void dispatcher.destroy().catch(() => undefined);
        else void dispatcher.close();
    }
    const distinct = [...new Set(failures)];
    const tries = failures.length > 1 ? ` (${failures.length} attempts: ${distinct.join('; ')})` : `: ${failures[0]}`;
    throw new WeightsError(`cannot download ${url}${tries}. ${offline}`);
}

async function attemptDownload(url: string, dispatcher: Dispatcher, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const response = await undiciFetch(url, { dispatcher, signal, redirect: 'follow' });
    if (!response.ok) {
        const message = `HTTP ${response.status} ${response.statusText}`;
        await response.body?.cancel().catch(() => undefined);
        if (transientStatus(response.status)) throw new Error(message);
        throw new PermanentFailure(message);
    }
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    const chunks: Uint8Array[] = [];
    let received = 0;
    try {
        for await (const chunk of response.body ?? []) {
            chunks.push(chunk);
            received += chunk.byteLength;
            progressListener?.({ url, received, total, done: false });
        }
    } catch (e) {
        throw Object.assign(new Error(`the transfer broke off after ${received} bytes: ${describeFetchFailure(e)}`), { cause: undefined });
    }
    if (total !== undefined && received < total) throw new Error(`the transfer broke off after ${received} of ${total} bytes`);
    progressListener?.({ url, received, total, done: true });
    const out = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
    }
    return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
        }, { once: true });
    });
}

/**
 * Returns the local path of `url`'s file `fileName` in the cache, downloading it first when it is
 * not there. A cached file that fails its checksum is fetched again; a download that fails it is
 * not kept.
 */
export async function fetchToCache(url: string, fileName: string, options: FetchOptions = {}, dir = cacheDirFor(url)): Promise<string> {
    const path = join(dir, fileName);
    sweepPartials(dirname(path));
    if (existsSync(path)) {
        if (!checksumProblem(readFileSync(path), options)) return path;
        rmSync(path, { force: true });
    }
    const data = await download(url, path, options);
    const problem = checksumProblem(data, options);
    if (problem) {
        throw new WeightsError(`${url}: ${problem}. The file was not cached; check the URL and the checksum in the spec`);
    }
    mkdirSync(dirname(path), { recursive: true });
    writeAtomically(path, data);
    return path;
}

/** The name a URL's last path segment gives a cached file (`model.json`, `x.h5`). */
export function fileNameOf(url: string): string {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : 'download';
}

export function isHttpUrl(location: string): boolean {
    return /^https?:\/\//i.test(location);
}
