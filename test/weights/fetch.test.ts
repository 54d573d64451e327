// `graft weights fetch` as a user runs it, against a real http server on 127.0.0.1: a spec whose
// experiments share one model.json URL, ask for ImageNet weights (already in the cache: nothing
// may be downloaded from outside), and build on another experiment. The weights land in
// $GRAFT_CACHE once, a second fetch downloads nothing, and with the server gone the experiment
// still trains from the cache. A 404 names the URL and where a copy can be placed by hand.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBackbone } from '../../src/runtime/zoo/build.js';
import { cacheDirFor, fileNameOf, sha256Hex } from '../../src/runtime/weights/download.js';
import { imagenetSource } from '../../src/runtime/weights/imagenet.js';
import { exited, FASHION, graft } from '../runs/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'graft-wfetch-'));
const served = join(dir, 'served');
const cache = join(dir, 'cache');
let server: Server;
let base = '';
const requests: string[] = [];
let spec = '';

function graftOut(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = graft(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    return exited(child).then((code) => ({ code, stdout, stderr }));
}

const head = `head {
    pool average
    output softmax
  }
  train {
    epochs 1
    batch 32
  }`;

beforeAll(async () => {
    process.env.GRAFT_CACHE = cache;
    mkdirSync(join(served, 'm'), { recursive: true });
    const model = buildBackbone({ arch: 'small_cnn', filters: [4, 8], inputShape: [8, 8, 1] }, { seed: 3 });
    await model.save(
        tf.io.withSaveHandler(async (a) => {
            writeFileSync(join(served, 'm', 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
            writeFileSync(join(served, 'm', 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
            return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        })
    );
    model.dispose();
    server = createServer((req, res) => {
        requests.push(req.url ?? '');
        const file = join(served, decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
        if (!file.startsWith(served) || !existsSync(file)) return void res.writeHead(404, 'Not Found').end('not found');
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sha = sha256Hex(readFileSync(join(served, 'm', 'model.json')));
    // Each spec in its own folder: a spec's workspace is its folder, names are global in it.
    mkdirSync(join(dir, 'spec'));
    spec = join(dir, 'spec', 'w.graft');
    writeFileSync(
        spec,
        `dataset d {
  source folder "${FASHION}"
  image 8 x 8 grayscale
  split train 60%, val 20%, test 20% stratified
}

experiment a {
  data d
  backbone small_cnn filters 4, 8 weights "${base}/m/model.json" sha256 "${sha}"
  ${head}
  seed 1
}

experiment b {
  data d
  backbone from "${base}/m/model.json"
  ${head}
}

experiment c {
  data d
  backbone mobilenet_v2 alpha 1.3 weights imagenet
  ${head}
}

experiment e {
  data d
  backbone a
  freeze all
  ${head}
}
`
    );
    // The ImageNet file is placed in the cache by hand, as on an offline machine: the test must not
    // reach storage.googleapis.com.
    const src = imagenetSource('mobilenet_v2', 1.3);
    mkdirSync(cacheDirFor(src.url), { recursive: true });
    writeFileSync(join(cacheDirFor(src.url), fileNameOf(src.url)), 'placed by hand');
});

afterAll(async () => {
    if (server.listening) await new Promise<void>((done) => server.close(() => done()));
    delete process.env.GRAFT_CACHE;
    rmSync(dir, { recursive: true, force: true });
});

describe('graft weights fetch', () => {
    it('--dry-run lists each source once, in the order runs need them, and downloads nothing', async () => {
        const { code, stdout, stderr } = await graftOut(['weights', 'fetch', spec, '--dry-run', '--format', 'json']);
        expect(code, stderr).toBe(0);
        const out = JSON.parse(stdout);
        expect(out.cache).toBe(cache);
        expect(out.needs.map((n: { kind: string; experiments: string[] }) => [n.kind, n.experiments])).toEqual([
            ['model_json', ['a', 'b']],
            ['h5', ['c']],
            ['experiment', ['e']]
        ]);
        expect(out.needs[0].url).toBe(`${base}/m/model.json`);
        expect(requests).toEqual([]);
    });

    it('downloads the model.json and its shard into the cache once, with a line per source', async () => {
        const { code, stdout, stderr } = await graftOut(['weights', 'fetch', spec]);
        expect(code, stderr).toBe(0);
        expect(stdout).toMatch(/3 weight sources for a, b, c, e → cache /);
        expect(stdout).toMatch(/\[1\/3\] small_cnn weights "http:\/\/127\.0\.0\.1:\d+\/m\/model\.json" \(a, b\)[^\n]*\n\s+downloaded [\d.]+ kB in [\d.]+ s/);
        expect(stdout).toMatch(/\[2\/3\] mobilenet_v2 alpha 1\.3 weights imagenet \(c\)[^\n]*\n\s+already in the cache/);
        expect(stdout).toMatch(/\[3\/3\] backbone a \(e\)\n\s+trained by `graft run`/);
        expect(stdout).toMatch(/ready to run offline/);
        expect(requests.sort()).toEqual(['/m/model.json', '/m/weights.bin']);
        const cached = cacheDirFor(`${base}/m/model.json`);
        expect(readFileSync(join(cached, 'weights.bin'))).toEqual(readFileSync(join(served, 'm', 'weights.bin')));

        const again = await graftOut(['weights', 'fetch', spec, '--format', 'json']);
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout).outcomes.map((o: { status: string }) => o.status)).toEqual(['cached', 'cached', 'trained by graft run']);
        expect(requests).toHaveLength(2);
    });

    it('a missing file fails with the URL, the HTTP status and where to place a copy (exit 1)', async () => {
        const bad = join(dir, 'bad');
        mkdirSync(bad);
        writeFileSync(join(bad, 'f.graft'), readFileSync(spec, 'utf8').replace(`backbone small_cnn filters 4, 8 weights "${base}/m/model.json"`, `backbone small_cnn filters 4, 8 weights "${base}/gone/model.json"`).replace(/ sha256 "[0-9a-f]+"/, ''));
        const { code, stdout, stderr } = await graftOut(['weights', 'fetch', join(bad, 'f.graft'), '--experiment', 'a']);
        expect(code).toBe(1);
        expect(stdout).toMatch(/\[1\/1\] small_cnn weights/);
        expect(stderr).toContain(`cannot download ${base}/gone/model.json: HTTP 404`);
        expect(stderr).toContain(`place it at ${join(cacheDirFor(`${base}/gone/model.json`), 'model.json')}`);
        expect(stderr).toMatch(/1 of 1 not in place/);
    });

    it('after a fetch the experiment trains with the server gone', async () => {
        await new Promise<void>((done) => server.close(() => done()));
        const { code, stderr } = await graftOut(['run', spec, '--experiment', 'a', '--backend', 'wasm']);
        expect(code, stderr).toBe(0);
        expect(stderr).toMatch(/a: completed/);
    });

    it('a file with only a sweep fetches what the swept experiment needs', async () => {
        const sweep = join(dir, 'spec', 'lrs.graft');
        writeFileSync(sweep, 'sweep lrs of a {\n  vary lr 1e-2, 1e-3\n  objective max val_accuracy\n}\n');
        const { code, stdout, stderr } = await graftOut(['weights', 'fetch', sweep, '--dry-run']);
        expect(code, stderr).toBe(0);
        expect(stdout).toMatch(/1 weight source for a → cache/);
        expect(stdout).toMatch(/\[1\/1\] small_cnn weights "http:\/\/127\.0\.0\.1:\d+\/m\/model\.json" \(a\)/);
    });

    it('usage errors exit 2 with the help', async () => {
        const none = await graftOut(['weights', 'fetch']);
        expect(none.code).toBe(2);
        expect(none.stderr).toMatch(/give exactly one \.graft file/);
        const sub = await graftOut(['weights', 'pull', spec]);
        expect(sub.code).toBe(2);
        expect(sub.stderr).toMatch(/unknown subcommand 'pull'/);
    });
});
