// Downloads against real servers on 127.0.0.1 that misbehave: busy (503, then OK), missing (404,
// not retried), hanging (idle timeout), cutting the body short, and a proxy named by HTTP_PROXY
// that must carry the request. Also cancellation mid-download and the progress reports.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { fetchToCache, setDownloadProgress, type DownloadProgress } from '../../src/runtime/weights/download.js';

const BODY = Buffer.from('x'.repeat(50_000));
let hits: Record<string, number> = {};
let server: Server;
let base: string;
let cache: string;

function handler(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url!, 'http://h').pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    if (path === '/busy' && hits[path]! <= 2) return void res.writeHead(503).end('busy');
    if (path === '/missing') return void res.writeHead(404).end('no');
    if (path === '/hang') return; // accepts, never answers
    if (path === '/cut') {
        res.writeHead(200, { 'content-length': String(BODY.length) });
        res.write(BODY.subarray(0, 1000));
        setTimeout(() => res.destroy(), 50);
        return;
    }
    res.writeHead(200, { 'content-length': String(BODY.length) }).end(BODY);
}

const listen = (s: Server) => new Promise<number>((done) => s.listen(0, '127.0.0.1', () => done((s.address() as AddressInfo).port)));

beforeAll(async () => {
    server = createServer(handler);
    base = `http://127.0.0.1:${await listen(server)}`;
    cache = mkdtempSync(join(tmpdir(), 'graft-dl-'));
});
afterEach(() => {
    hits = {};
    setDownloadProgress(undefined);
});
afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    rmSync(cache, { recursive: true, force: true });
});

const fast = { backoffMs: 20, idleTimeoutMs: 300, connectTimeoutMs: 2000 };
let n = 0;
const dir = () => join(cache, String(n++));

describe('weight downloads', () => {
    test('a busy server (503 twice) is retried with backoff and the file arrives whole, with progress', async () => {
        const seen: DownloadProgress[] = [];
        setDownloadProgress((p) => seen.push(p));
        const path = await fetchToCache(`${base}/busy`, 'f.bin', fast, dir());
        expect(readFileSync(path)).toEqual(BODY);
        expect(hits['/busy']).toBe(3);
        expect(seen.at(-1)).toMatchObject({ received: BODY.length, total: BODY.length, done: true });
    });

    test('a 404 is not retried and names the URL', async () => {
        await expect(fetchToCache(`${base}/missing`, 'f.bin', fast, dir())).rejects.toThrow(`cannot download ${base}/missing: HTTP 404`);
        expect(hits['/missing']).toBe(1);
    });

    test('a server that never answers fails by the idle timeout, each attempt, not after minutes', async () => {
        const started = Date.now();
        await expect(fetchToCache(`${base}/hang`, 'f.bin', { ...fast, retries: 1 }, dir())).rejects.toThrow(/2 attempts: the server stopped sending \(idle timeout\)/);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(hits['/hang']).toBe(2);
    });

    test('a body cut short is an error and leaves nothing in the cache', async () => {
        const target = dir();
        await expect(fetchToCache(`${base}/cut`, 'f.bin', { ...fast, retries: 0 }, target)).rejects.toThrow(/broke off/);
        expect(() => readFileSync(join(target, 'f.bin'))).toThrow();
    });

    test('cancellation aborts a hanging download at once', async () => {
        const controller = new AbortController();
        const started = Date.now();
        setTimeout(() => controller.abort(), 100);
        await expect(fetchToCache(`${base}/hang`, 'f.bin', { ...fast, idleTimeoutMs: 60_000, signal: controller.signal }, dir())).rejects.toThrow(/cancelled/);
        expect(Date.now() - started).toBeLessThan(2000);
    });

    test('HTTP_PROXY carries the request (through a CONNECT tunnel, as HTTPS_PROXY does for https)', async () => {
        const proxied: string[] = [];
        // A proxy as corporate ones work: CONNECT host:port, then a tunnel (undici tunnels http too).
        const proxy = createServer((_req, res) => res.writeHead(405).end());
        proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
            proxied.push(req.url!);
            const [host, port] = req.url!.split(':');
            const upstream = connect(Number(port), host, () => {
                client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
                upstream.write(head);
                upstream.pipe(client);
                client.pipe(upstream);
            });
            upstream.on('error', () => client.destroy());
            client.on('error', () => upstream.destroy());
        });
        const port = await listen(proxy);
        const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };
        process.env.HTTP_PROXY = `http://127.0.0.1:${port}`;
        delete process.env.http_proxy;
        process.env.NO_PROXY = '';
        delete process.env.no_proxy;
        try {
            const path = await fetchToCache(`${base}/file`, 'f.bin', fast, dir());
            expect(readFileSync(path)).toEqual(BODY);
            expect(proxied).toEqual([base.replace('http://', '')]);
        } finally {
            for (const [k, v] of Object.entries(saved)) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
            }
            proxy.closeAllConnections();
            await new Promise((done) => proxy.close(done));
        }
    });
});
