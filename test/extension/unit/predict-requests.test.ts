// The results panel's "Try the model" box: the host side (predict-requests.ts) with real files and
// a real `graft predict` process on a real tiny run, and the webview side (render-predict.ts) on
// the fake DOM — a drop/choose posts the right message, a reply shows the top classes, a stale
// reply is ignored, an error is shown as one.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IMAGE_BYTES, PredictRequests, safeName } from '../../../src/extension/panel/predict-requests.js';
import { predictArgs, runPredict, type PredictCommand } from '../../../src/extension/runs/predict-process.js';
import { latestModelRun } from '../../../src/extension/runs/model-runs.js';
import type { FromWebview, PredictionReply } from '../../../src/extension/panel/protocol.js';
import { exited, FASHION, graft, ROOT, tinySpec } from '../../runs/fixtures.js';
import { installFakeDom, text, type FakeNode } from '../../runs/fake-dom.js';

// The CLI from the sources, as the extension would start bin/graft.js.
const cli: PredictCommand = { node: process.execPath, nodeArgs: ['--import', 'tsx'], cli: join(ROOT, 'test/runs/cli-entry.ts'), cwd: ROOT, backend: 'wasm' };

let dir: string;
let runDir: string;
let temp: string;

beforeAll(async () => {
    ({ dir } = tinySpec(1));
    const child = graft(['run', join(dir, 'tiny.graft'), '--backend', 'wasm']);
    expect(await exited(child)).toBe(0);
    const runsRoot = join(dir, 'runs');
    runDir = latestModelRun(runsRoot, 'tiny_run')!;
    temp = join(dir, 'temp');
    mkdirSync(temp);
});

afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('latestModelRun', () => {
    it('finds the newest completed run with a model, and nothing for other experiments', () => {
        expect(runDir).toMatch(/tiny_run[\\/]\d{8}-\d{6}/);
        expect(latestModelRun(join(dir, 'runs'), 'other')).toBeUndefined();
        // A newer run that did not complete is passed over.
        const newer = join(dir, 'runs', 'tiny_run', '99991231-235959');
        mkdirSync(join(newer, 'model'), { recursive: true });
        writeFileSync(join(newer, 'model', 'model.json'), '{}');
        writeFileSync(join(newer, 'results.json'), JSON.stringify({ status: 'failed' }));
        expect(latestModelRun(join(dir, 'runs'), 'tiny_run')).toBe(runDir);
        rmSync(newer, { recursive: true });
    });
});

describe('runPredict (graft predict as a child process)', () => {
    it('builds the documented command line', () => {
        expect(predictArgs({ node: 'node', cli: '/ext/bin/graft.js', cwd: '/', backend: 'wasm' }, '/r', ['/a.png'], 5)).toEqual(['/ext/bin/graft.js', 'predict', '/r', '/a.png', '--format', 'json', '--top', '5', '--backend', 'wasm']);
        expect(predictArgs({ node: 'node', cli: 'g', cwd: '/', backend: 'auto' }, '/r', ['/a.png'], 3)).not.toContain('--backend');
    });

    it('rejects with the CLI\'s own message when the folder has no model', async () => {
        await expect(runPredict(cli, temp, [join(FASHION, 'bag/bag_train_0.jpg')])).rejects.toThrow(/no model\.json here/);
    });
});

describe('PredictRequests (the host side of the box)', () => {
    const png = () => readFileSync(join(FASHION, 'bag/bag_train_1.png'));
    let calls = 0;
    const requests = () =>
        new PredictRequests({
            predict: (model, file) => {
                calls++;
                return runPredict(cli, model, [file], 5);
            },
            tempRoot: temp
        });

    it('classifies dropped bytes with the run\'s model, as `graft predict` does on the file, and removes the copy', async () => {
        const reply = await requests().fromBytes(7, runDir, 'bag_train_1.png', png().toString('base64'));
        expect(reply).toMatchObject({ type: 'prediction', requestId: 7, runDir, name: 'bag_train_1.png' });
        expect(reply.error).toBeUndefined();
        const out = reply.outputs![0]!;
        expect(out).toMatchObject({ head: 'main', task: 'single_label' });
        expect(out.top).toHaveLength(5);
        expect(out.predicted).toEqual([out.top[0]!.class]);
        expect(out.top.map((s) => s.class).sort()).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        const direct = await runPredict(cli, runDir, [join(FASHION, 'bag/bag_train_1.png')], 5);
        expect(out.top).toEqual(direct.predictions[0]!.outputs[0]!.top.map((s) => ({ class: s.class, probability: s.probability })));
        expect(readdirSync(temp)).toEqual([]);
    });

    it('names a corrupt image and the reason, and keeps a hostile name inside its temp folder', async () => {
        const half = png().subarray(0, 40);
        const reply = await requests().fromBytes(8, runDir, '../../evil/../x.png', half.toString('base64'));
        expect(reply.outputs).toBeUndefined();
        expect(reply.name).toBe('x.png');
        expect(reply.error).toMatch(/^x\.png cannot be used: /);
        expect(readdirSync(temp)).toEqual([]);
    });

    it('refuses empty and oversized drops without running anything', async () => {
        const before = calls;
        expect((await requests().fromBytes(9, runDir, 'a.png', '')).error).toMatch(/empty/);
        const big = 'A'.repeat(Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 8);
        expect((await requests().fromBytes(10, runDir, 'a.png', big)).error).toMatch(/larger than 20 MB/);
        expect(calls).toBe(before);
    });

    it('classifies a file the editor names (explorer drop, dialog) and reports a run without a model', async () => {
        const ok = await requests().fromFile(11, runDir, join(FASHION, 'trouser/trouser_train_1.png'));
        expect(ok.name).toBe('trouser_train_1.png');
        expect(ok.outputs?.[0]?.top).toHaveLength(5);
        const bad = await requests().fromFile(12, temp, join(FASHION, 'trouser/trouser_train_1.png'));
        expect(bad.error).toMatch(/no model\.json here/);
    });

    it('safeName keeps only a plain file name', () => {
        expect(safeName('C:\\Users\\me\\cat photo.JPG')).toBe('cat photo.JPG');
        expect(safeName('../..')).toBe('image');
        expect(safeName('a/b/<x>.png')).toBe('_x_.png');
        expect(safeName('')).toBe('image');
    });
});

describe('the box in the webview', () => {
    type App = typeof import('../../../src/extension/panel/app/render-predict.js');
    let app: App;
    const posted: FromWebview[] = [];

    beforeAll(async () => {
        installFakeDom();
        app = await import('../../../src/extension/panel/app/render-predict.js');
    });

    const reply = (over: Partial<PredictionReply>): PredictionReply => ({ type: 'prediction', requestId: 1, runDir: '/runs/x/1', name: 'cat.png', ...over });

    it('"Choose image…" asks the host; the reply shows the top classes, the predicted one marked', () => {
        const box = app.predictBox('/runs/x/1', (m) => posted.push(m)) as unknown as FakeNode;
        expect(app.predictBox('/runs/x/1', () => undefined)).toBe(box as unknown as HTMLElement); // kept across renders
        box.find('predict-choose')!.fire('click');
        const first = posted.at(-1) as Extract<FromWebview, { type: 'predictFiles' }>;
        box.find('predict-choose')!.fire('click');
        const asked = posted.at(-1) as Extract<FromWebview, { type: 'predictFiles' }>;
        expect(asked.requestId).toBeGreaterThan(first.requestId);
        expect(asked).toMatchObject({ type: 'predictFiles', runDir: '/runs/x/1' });
        expect(asked.uris).toBeUndefined();
        expect(text(box)).toMatch(/Choose an image/);
        // An older request's reply is ignored …
        app.showPrediction(reply({ requestId: first.requestId, name: 'old.png', outputs: [] }));
        expect(text(box)).not.toMatch(/old\.png/);
        // … the current one is shown.
        app.showPrediction(reply({ requestId: asked.requestId, outputs: [{ head: 'main', task: 'single_label', predicted: ['cat'], top: [{ class: 'cat', probability: 0.875 }, { class: 'dog', probability: 0.125 }] }] }));
        const shown = text(box.find('predict-result')!);
        expect(shown).toContain('cat.png');
        expect(shown).toContain('cat87.5%');
        expect(shown).toContain('dog12.5%');
    });

    it('an explorer drop sends its URIs; an error reply is shown as such', () => {
        const box = app.predictBox('/runs/x/2', (m) => posted.push(m)) as unknown as FakeNode;
        const data: Record<string, string> = { 'application/vnd.code.uri-list': 'file:///data/a%20b.png\r\n' };
        box.find('predict-drop')!.fire('drop', { dataTransfer: { getData: (t: string) => data[t] ?? '', files: [] } });
        const sent = posted.at(-1) as Extract<FromWebview, { type: 'predictFiles' }>;
        expect(sent).toMatchObject({ type: 'predictFiles', runDir: '/runs/x/2', uris: ['file:///data/a%20b.png'] });
        expect(text(box)).toContain('Classifying a b.png');
        app.showPrediction(reply({ runDir: '/runs/x/2', requestId: sent.requestId, error: 'a b.png cannot be used: empty file (0 bytes)' }));
        const result = box.find('predict-result')!;
        expect(text(result)).toBe('a b.png cannot be used: empty file (0 bytes)');
        expect(result.children[0]!.className).toBe('predict-error');
    });
});
