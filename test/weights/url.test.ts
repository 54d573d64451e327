// model.json weights from an http server on 127.0.0.1: download once into the cache, sha256
// good and bad, 404, an unreachable port; copying by layer name; `backbone from` a URL.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { applyWeights } from '../../src/runtime/weights/apply.js';
import { cacheDirFor, sha256Hex, WeightsError } from '../../src/runtime/weights/download.js';
import { loadBackboneModelJson } from '../../src/runtime/weights/model-json.js';

const served = mkdtempSync(join(tmpdir(), 'graft-served-'));
const cache = mkdtempSync(join(tmpdir(), 'graft-cache-'));
let server: Server;
let base: string;
const requests: string[] = [];
let modelSha = '';
let savedKernel: number[] = [];

/** Saves a small trained-looking backbone as model.json + weights.bin, as tfjs writes them. */
async function saveModel(dir: string): Promise<void> {
    const model = buildBackbone({ arch: 'small_cnn', filters: [4, 8], inputShape: [16, 16, 1] }, { seed: 3 });
    savedKernel = Array.from(model.getLayer('block2_conv').getWeights()[0].dataSync());
    await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
            writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
            const json = { format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
            writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
            return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        })
    );
    model.dispose();
}

beforeAll(async () => {
    process.env.GRAFT_CACHE = cache;
    mkdirSync(join(served, 'm'));
    await saveModel(join(served, 'm'));
    modelSha = sha256Hex(readFileSync(join(served, 'm', 'model.json')));
    server = createServer((req, res) => {
        requests.push(req.url ?? '');
        const file = join(served, decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
        if (!file.startsWith(served) || !existsSync(file)) {
            res.writeHead(404).end('not found');
            return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    delete process.env.GRAFT_CACHE;
});

const fresh = () => buildBackbone({ arch: 'small_cnn', filters: [4, 8], inputShape: [16, 16, 1] }, { seed: 99 });

describe('weights from a URL', () => {
    test('a good sha256 downloads once into $GRAFT_CACHE/weights/<sha of URL>/ and copies every layer', async () => {
        const url = `${base}/m/model.json`;
        const model = fresh();
        const report = await applyWeights(model, { kind: 'model_json', location: url, sha256: modelSha.toUpperCase() }, { arch: 'small_cnn' });
        expect(report!.copied).toEqual(['block1_conv', 'block1_bn', 'block2_conv', 'block2_bn']);
        expect(report!.missing).toEqual([]);
        expect(report!.mismatched).toEqual([]);
        expect(Array.from(model.getLayer('block2_conv').getWeights()[0].dataSync())).toEqual(savedKernel);
        const dir = cacheDirFor(url);
        expect(dir).toBe(join(cache, 'weights', sha256Hex(url)));
        expect(existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin'))).toBe(true);
        const before = requests.length;
        await applyWeights(fresh(), { kind: 'model_json', location: url, sha256: modelSha }, { arch: 'small_cnn' });
        expect(requests.length).toBe(before); // served from the cache
        model.dispose();
    });

    test('a bad sha256 is refused and nothing is cached', async () => {
        const url = `${base}/m/model.json?copy=2`;
        const wrong = '0'.repeat(64);
        await expect(applyWeights(fresh(), { kind: 'model_json', location: url, sha256: wrong }, { arch: 'small_cnn' })).rejects.toThrow(
            new RegExp(`sha256 mismatch: expected ${wrong}, got ${modelSha}`)
        );
        expect(existsSync(join(cacheDirFor(url), 'model.json'))).toBe(false);
    });

    test('404 names the URL and where to place a copy', async () => {
        const url = `${base}/missing/model.json`;
        const error = await applyWeights(fresh(), { kind: 'model_json', location: url }, { arch: 'small_cnn' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WeightsError);
        expect((error as Error).message).toContain(`cannot download ${url}: HTTP 404`);
        expect((error as Error).message).toContain(`place it at ${join(cacheDirFor(url), 'model.json')}`);
    });

    test('an unreachable server names the URL and the cache path', async () => {
        // A port that was just free: bind, read the port, close.
        const probe = createServer();
        await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
        const port = (probe.address() as AddressInfo).port;
        await new Promise<void>((done) => probe.close(() => done()));
        const url = `http://127.0.0.1:${port}/m/model.json`;
        const error = await applyWeights(fresh(), { kind: 'model_json', location: url }, { arch: 'small_cnn' }).catch((e: unknown) => e);
        // refused connections are retried (transient), then reported once with the number of attempts
        expect((error as Error).message).toMatch(new RegExp(`cannot download ${url.replace(/[.?]/g, '\\$&')} \\(4 attempts: ECONNREFUSED\\)\\. If this machine is offline`));
        expect((error as Error).message).toContain(cacheDirFor(url));
    });

    test('weights for another architecture are refused with the layers named', async () => {
        const model = buildBackbone({ arch: 'small_cnn', filters: [4, 16], inputShape: [16, 16, 1] });
        await expect(applyWeights(model, { kind: 'model_json', location: `${base}/m/model.json` }, { arch: 'small_cnn' })).rejects.toThrow(
            /block2_conv\/kernel is \[3, 3, 4, 16\] here but \[3, 3, 4, 8\] in the file/
        );
        model.dispose();
    });

    test('backbone from a URL loads the model and cuts it', async () => {
        const model = await loadBackboneModelJson(`${base}/m/model.json`, { sha256: modelSha, cutAt: 'block1_pool' });
        expect(model.layers.map((l) => l.name)).toEqual(['input_1', 'block1_conv', 'block1_bn', 'block1_relu', 'block1_pool']);
        expect(model.outputs[0].shape).toEqual([null, 8, 8, 4]);
        await expect(loadBackboneModelJson(`${base}/m/model.json`, { cutAt: 'block9_pool' })).rejects.toThrow(/has no layer "block9_pool"/);
        model.dispose();
    });

    test('a local model.json path resolves against a base folder', async () => {
        const model = fresh();
        const report = await applyWeights(model, { kind: 'model_json', location: 'm/model.json' }, { arch: 'small_cnn' }, { baseDir: served });
        expect(report!.copied.length).toBe(4);
        await expect(applyWeights(model, { kind: 'model_json', location: 'nope/model.json' }, { arch: 'small_cnn' }, { baseDir: served })).rejects.toThrow(
            `${join(served, 'nope/model.json')} does not exist`
        );
        model.dispose();
    });
});
