// Downloads weight files once into a cache folder: `$GRAFT_CACHE/weights/<sha256 of URL>/`
// (default GRAFT_CACHE = ~/.cache/graft). Files are written atomically (temp + rename), checked
// against a sha256 (or Keras' md5) when one is given, and every failure names the URL and the
// path where a copy can be placed by hand on an offline machine.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

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
    const tmp = `${path}.${process.pid}.${Date.now()}.part`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
}

function describeFetchFailure(e: unknown): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'the server did not answer in time';
    return err.cause?.code ?? err.cause?.message ?? err.message;
}

export interface FetchOptions extends Checksum {
    /** Abort when the whole transfer takes longer (ms). Default 10 minutes. */
    timeoutMs?: number;
}

/** Downloads `url` into memory; WeightsError names the URL and `placeAt` on failure. */
async function download(url: string, placeAt: string, timeoutMs: number): Promise<Uint8Array> {
    const offline = `If this machine is offline, download ${url} elsewhere and place it at ${placeAt}`;
    let response: Response;
    try {
        response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    } catch (e) {
        throw new WeightsError(`cannot download ${url}: ${describeFetchFailure(e)}. ${offline}`);
    }
    if (!response.ok) {
        throw new WeightsError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}. ${offline}`);
    }
    try {
        return new Uint8Array(await response.arrayBuffer());
    } catch (e) {
        throw new WeightsError(`the download of ${url} broke off: ${describeFetchFailure(e)}. ${offline}`);
    }
}

/**
 * Returns the local path of `url`'s file `fileName` in the cache, downloading it first when it is
 * not there. A cached file that fails its checksum is fetched again; a download that fails it is
 * not kept.
 */
export async function fetchToCache(url: string, fileName: string, options: FetchOptions = {}, dir = cacheDirFor(url)): Promise<string> {
    const path = join(dir, fileName);
    if (existsSync(path)) {
        if (!checksumProblem(readFileSync(path), options)) return path;
        rmSync(path, { force: true });
    }
    const data = await download(url, path, options.timeoutMs ?? 600_000);
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
