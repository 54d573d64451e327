// The decoded-image cache: every sample is decoded once, then served from here on later epochs.
// Records have a fixed size (h·w·c bytes), so the cache is one flat store addressed by sample
// index: a single Uint8Array while the dataset fits the memory budget, else a file of raw
// tensors on disk (the OS page cache keeps hot parts in memory without counting towards RSS).

import { promises as fs } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { makeScratchDir, removeScratchDir } from '../scratch.js';

/** Default memory budget: 1 GiB, or a quarter of RAM on small machines. */
export function defaultMemoryBudget(): number {
    return Math.min(1024 ** 3, Math.floor(totalmem() / 4));
}

// Per-sample state; 0 = not decoded yet.
const State = { Ready: 1, Failed: 2 } as const;

export interface CacheOptions {
    /** Bytes of decoded pixels kept in memory; above this the cache goes to disk. */
    memoryBudgetBytes?: number;
    /** Folder for the disk cache (a fresh sub-folder is made and removed on close). Default: os.tmpdir(). */
    dir?: string;
}

export class DecodedCache {
    readonly kind: 'memory' | 'disk';
    private readonly state: Uint8Array;
    private readonly memory?: Uint8Array;
    private file?: fs.FileHandle;
    private opening?: Promise<fs.FileHandle>;
    private folder?: string;
    private readonly pending = new Map<number, Promise<Uint8Array | null>>();
    private closed = false;
    /** Decodes attempted so far: stays at the sample count once every image is cached. */
    decodes = 0;

    constructor(
        readonly count: number,
        readonly recordBytes: number,
        options: CacheOptions = {}
    ) {
        this.state = new Uint8Array(count);
        const budget = options.memoryBudgetBytes ?? defaultMemoryBudget();
        if (count * recordBytes <= budget) {
            this.kind = 'memory';
            this.memory = new Uint8Array(count * recordBytes);
        } else {
            this.kind = 'disk';
            // Removed on close, at process exit at the latest, or by the next run once this process is gone.
            this.folder = makeScratchDir('decoded', options.dir ?? tmpdir());
        }
    }

    get bytes(): number {
        return this.count * this.recordBytes;
    }

    decodedCount(): number {
        let n = 0;
        for (let i = 0; i < this.count; i++) if (this.state[i] === State.Ready) n++;
        return n;
    }

    isFailed(i: number): boolean {
        return this.state[i] === State.Failed;
    }

    private handle(): Promise<fs.FileHandle> {
        if (this.file) return Promise.resolve(this.file);
        this.opening ??= fs.open(join(this.folder!, 'pixels.u8'), 'w+').then((h) => (this.file = h));
        return this.opening;
    }

    /**
     * The pixels of sample `i`, decoding them with `decode` the first time. Returns null when the
     * sample failed to decode (then or earlier); `onFail` is told once.
     */
    get(i: number, decode: () => Promise<Uint8Array>, onFail: (e: unknown) => void): Promise<Uint8Array | null> {
        if (this.closed) return Promise.reject(new Error('the dataset was closed'));
        const st = this.state[i];
        if (st === State.Failed) return Promise.resolve(null);
        if (st === State.Ready) return this.read(i);
        const inflight = this.pending.get(i);
        if (inflight) return inflight;
        const p = (async () => {
            try {
                this.decodes++;
                const px = await decode();
                await this.write(i, px);
                this.state[i] = State.Ready;
                return px;
            } catch (e) {
                this.state[i] = State.Failed;
                onFail(e);
                return null;
            } finally {
                this.pending.delete(i);
            }
        })();
        this.pending.set(i, p);
        return p;
    }

    private async write(i: number, px: Uint8Array): Promise<void> {
        if (px.length !== this.recordBytes) throw new Error(`decoded ${px.length} bytes, expected ${this.recordBytes}`);
        if (this.memory) {
            this.memory.set(px, i * this.recordBytes);
            return;
        }
        const fh = await this.handle();
        await fh.write(px, 0, px.length, i * this.recordBytes);
    }

    private async read(i: number): Promise<Uint8Array> {
        if (this.memory) return this.memory.subarray(i * this.recordBytes, (i + 1) * this.recordBytes);
        const fh = await this.handle();
        const out = new Uint8Array(this.recordBytes);
        await fh.read(out, 0, this.recordBytes, i * this.recordBytes);
        return out;
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        await Promise.allSettled([...this.pending.values()]);
        if (this.opening) await (await this.opening).close().catch(() => undefined);
        if (this.folder) removeScratchDir(this.folder);
    }
}
