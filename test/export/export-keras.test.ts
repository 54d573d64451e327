// `graft export --to keras`. TensorFlow cannot be installed here (no PyPI, no Debian package), so
// the generated train.py is checked by Python itself without running it: it parses and compiles;
// every name its functions use is defined (symtable); build_model() has one Keras layer call per
// layer of Graft's network, with Graft's name, class, configuration and wiring; the plan constants
// read back (ast.literal_eval) equal the plan's hyperparameters; the weights are Graft's own, in
// Keras order; and its NumPy parts (data, augmentation, metrics) run with TensorFlow stubbed out.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportExperiment, type ExportOutcome } from '../../src/runtime/export/export.js';
import { ExportRefused } from '../../src/runtime/export/refusals.js';
import { displayPath } from '../../src/cli/cli-input.js';
import { kerasTarget } from '../../src/runtime/export/keras/target.js';
import { main } from '../../src/cli/main.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';

const ROOT = join(import.meta.dirname, '../..');
const FASHION = join(ROOT, 'examples/data/fashion5');
const PYTHON = '/usr/bin/python3';
const hasPython = existsSync(PYTHON);
const noPython = hasPython ? '' : ' (skipped: no /usr/bin/python3 to parse the script)';
const hasNumpy = hasPython && spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const SPEC = `dataset shoes {
  source folder "${FASHION}"
  image 28 x 28 grayscale
  normalize symmetric
  split train 60%, val 20%, test 20% stratified
  balance class_weights
  augment {
    flip horizontal
    shift 0.1
    brightness 0.2
  }
}

experiment keras_all {
  data shoes
  backbone small_cnn filters 8, 16
  freeze all
  head {
    pool flatten
    dense 24 relu
    batchnorm
    dropout 0.35
    output softmax
  }
  loss crossentropy smoothing 0.15
  optimizer adamw lr 0.0031 decay 0.02
  backbone lr 0.00042
  schedule cosine warmup 1
  train {
    epochs 4
    batch 20
    early_stop val_loss patience 3 min_delta 0.002
    checkpoint best val_accuracy
    clip_norm 2.5
  }
  stage tune {
    unfreeze last 1 blocks
    optimizer sgd lr 0.0007 momentum 0.9
    schedule constant
    epochs 2
  }
  evaluate on test
  metrics accuracy, top 2, precision macro, recall micro, f1 macro, confusion
  seed 7
}

experiment keras_map {
  data shoes
  backbone small_cnn filters 8, 16
  head {
    pool average
    output softmax
  }
  metrics accuracy, map
  seed 1
}
`;

let dir: string;
let spec: string;
let out: string;
let outcome: ExportOutcome;

/** Runs a Python snippet with the script's path as argv[1]; returns its JSON output. */
function py<T>(code: string, arg: string): T {
    const r = spawnSync(PYTHON, ['-c', code, arg], { encoding: 'utf8', cwd: out });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graft-export-keras-'));
    spec = join(dir, 'spec.graft');
    writeFileSync(spec, SPEC);
    out = join(dir, 'project');
    outcome = await exportExperiment({ file: spec, experiment: 'keras_all', target: kerasTarget, out, warn: () => undefined, selectPlan });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('graft export --to keras', () => {
    it('writes the project: script, requirements, README, data, split, weights in Keras layout', () => {
        for (const f of ['train.py', 'requirements.txt', 'README.md', 'export.json', 'plan.json', 'spec.graft.txt', 'splits.json', 'results-template.json', 'weights/index.json', 'data/train_images.npy', 'data/test_labels.npy']) {
            expect(existsSync(join(out, f)), f).toBe(true);
        }
        expect(readFileSync(join(out, 'requirements.txt'), 'utf8')).toMatch(/^tensorflow>=2\.12,<2\.16$/m);
        expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))).toMatchObject({ target: 'keras', engine: 'keras', experiment: 'keras_all', seed: 7 });
        expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('MultiWorkerMirroredStrategy');
        // Every layer with weights, its tensors in Keras' get_weights() order, shapes as Graft holds them.
        const index = JSON.parse(readFileSync(join(out, 'weights/index.json'), 'utf8')) as { layers: Record<string, { className: string; tensors: { param: string; file: string; shape: number[] }[] }> };
        const withWeights = outcome.ctx.layers.filter((l) => l.weights.length);
        expect(Object.keys(index.layers)).toEqual(withWeights.map((l) => l.name));
        expect(index.layers.block1_conv!.tensors.map((t) => [t.param, t.shape])).toEqual([['kernel', [3, 3, 1, 8]]]);
        expect(index.layers.block2_bn!.tensors.map((t) => t.param)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
        expect(index.layers.main_dense_2!.tensors.map((t) => [t.param, t.shape])).toEqual([['kernel', [784, 24]], ['bias', [24]]]);
        // The .npy holds Graft's values unchanged (Keras layout: no conversion).
        const conv = outcome.ctx.layers.find((l) => l.name === 'block1_conv')!.weights[0]!;
        const npy = readFileSync(join(out, 'weights', index.layers.block1_conv!.tensors[0]!.file));
        const body = new Float32Array(npy.buffer.slice(npy.byteOffset + npy.length - conv.values.length * 4, npy.byteOffset + npy.length));
        expect(Array.from(body)).toEqual(Array.from(conv.values));
    });

    it.skipIf(!hasPython)(`train.py parses, compiles, and every name its functions use is defined${noPython}`, () => {
        const code = [
            'import ast, builtins, json, symtable, sys',
            'src = open(sys.argv[1]).read()',
            'compile(src, sys.argv[1], "exec")',
            'tree = ast.parse(src)',
            'defined = set(dir(builtins)) | {"__file__", "__name__"}',
            'for node in tree.body:',
            '    if isinstance(node, (ast.FunctionDef, ast.ClassDef)): defined.add(node.name)',
            '    elif isinstance(node, ast.Assign): defined.update(t.id for t in node.targets if isinstance(t, ast.Name))',
            '    elif isinstance(node, (ast.Import, ast.ImportFrom)): defined.update((a.asname or a.name).split(".")[0] for a in node.names)',
            'missing = []',
            'def walk(table):',
            '    for s in table.get_symbols():',
            '        if s.is_referenced() and s.is_global() and s.get_name() not in defined: missing.append("%s in %s" % (s.get_name(), table.get_name()))',
            '    for child in table.get_children(): walk(child)',
            'walk(symtable.symtable(src, sys.argv[1], "exec"))',
            'print(json.dumps(sorted(set(missing))))'
        ].join('\n');
        expect(py<string[]>(code, join(out, 'train.py'))).toEqual([]);
    });

    it.skipIf(!hasPython)(`build_model() names every layer with its class, configuration and wiring${noPython}`, () => {
        // Each `t["name"] = layers.Class(args…, name="name")(t["inbound"])` of build_model, as data.
        const code = [
            'import ast, json, sys',
            'tree = ast.parse(open(sys.argv[1]).read())',
            'fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_model")',
            'out = []',
            'for st in fn.body:',
            '    if not (isinstance(st, ast.Assign) and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Call)): continue',
            '    ctor, applied = st.value.func, st.value.args[0]',
            '    ins = [e.slice.value for e in (applied.elts if isinstance(applied, ast.List) else [applied])]',
            '    kw = {k.arg: ast.literal_eval(k.value) for k in ctor.keywords}',
            '    out.append({"target": st.targets[0].slice.value, "cls": ctor.func.attr, "args": [ast.literal_eval(a) for a in ctor.args], "kw": kw, "inbound": ins})',
            'print(json.dumps(out))'
        ].join('\n');
        const calls = py<{ target: string; cls: string; args: unknown[]; kw: Record<string, unknown>; inbound: string[] }[]>(code, join(out, 'train.py'));
        const layers = outcome.ctx.layers.filter((l) => l.part !== 'input');
        expect(calls.map((c) => [c.target, c.kw.name, c.cls])).toEqual(layers.map((l) => [l.name, l.name, l.className]));
        expect(calls.map((c) => c.inbound)).toEqual(layers.map((l) => l.inbound));
        const by = Object.fromEntries(calls.map((c) => [c.target, c]));
        expect(by.block1_conv).toMatchObject({ args: [8, [3, 3]], kw: { strides: [1, 1], padding: 'same', use_bias: false } });
        expect(by.block2_conv!.args[0]).toBe(16);
        expect(by.block1_bn!.kw).toMatchObject({ momentum: 0.99, epsilon: 0.001 });
        expect(by.block1_pool!.kw).toMatchObject({ pool_size: [2, 2], strides: [2, 2] });
        expect(by.main_dense_2).toMatchObject({ args: [24], kw: { activation: 'relu' } });
        expect(by.main_dropout_4!.args).toEqual([0.35]);
        expect(by.main_logits).toMatchObject({ args: [5], kw: { activation: 'linear' } });
    });

    it.skipIf(!hasPython)(`the plan constants carry every hyperparameter, and the strategies are tf.distribute's${noPython}`, () => {
        const code = [
            'import ast, json, sys',
            'tree = ast.parse(open(sys.argv[1]).read())',
            'out = {}',
            'for node in tree.body:',
            '    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):',
            '        try: out[node.targets[0].id] = ast.literal_eval(node.value)',
            '        except ValueError: pass',
            'out["attributes"] = sorted({n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)})',
            'print(json.dumps(out))'
        ].join('\n');
        const c = py<Record<string, unknown> & { attributes: string[] }>(code, join(out, 'train.py'));
        const plan = outcome.ctx.plan;
        expect(c.ENGINE).toBe('keras');
        expect(c.SEED).toBe(7);
        expect(c.CLASSES).toEqual(['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']);
        expect(c.BALANCE).toBe('class_weights');
        expect(c.AUGMENT).toEqual({ flip: 'horizontal', shift: 0.1, brightness: 0.2 });
        expect(c.NORMALIZE).toMatchObject({ preset: 'symmetric', offset: [-1] });
        expect(c.HEAD).toMatchObject({ activation: 'softmax', loss: { kind: 'crossentropy', smoothing: 0.15 } });
        expect(c.METRICS).toEqual(JSON.parse(JSON.stringify(plan.metrics)));
        expect(c.HEAD_LAYERS).toEqual(['main_pool_1', 'main_dense_2', 'main_batchnorm_3', 'main_dropout_4', 'main_logits']);
        const stages = c.STAGES as Record<string, unknown>[];
        expect(stages[0]).toMatchObject({
            name: 'train', epochs: 4, batch: 20, optimizer: { kind: 'adamw', lr: 0.0031, decay: 0.02 }, backbone_lr: 0.00042,
            schedule: { kind: 'cosine', warmup: 1 }, early_stop: { monitor: 'val_loss', patience: 3, min_delta: 0.002 },
            checkpoint: { monitor: 'val_accuracy' }, clip_norm: 2.5, trainable_layers: []
        });
        expect(stages[1]).toMatchObject({ name: 'tune', epochs: 2, optimizer: { kind: 'sgd', lr: 0.0007, momentum: 0.9 }, schedule: { kind: 'constant' }, trainable_layers: ['block2_conv', 'block2_bn'] });
        for (const a of ['MirroredStrategy', 'MultiWorkerMirroredStrategy', 'experimental_distribute_values_from_function', 'all_reduce', 'clip_by_global_norm', 'AdamW', 'SGD', 'exclude_from_weight_decay']) expect(c.attributes).toContain(a);
    });

    it.skipIf(!hasNumpy)(`its NumPy parts run: data, augmentation (flips mirror exactly), metrics${hasNumpy ? '' : ' (skipped: no NumPy for /usr/bin/python3)'}`, () => {
        // TensorFlow is stubbed: the module is loaded for its NumPy functions, main() is not run.
        const code = [
            'import json, sys, types, importlib.util',
            'tf = types.ModuleType("tensorflow"); tf.keras = types.ModuleType("tensorflow.keras"); tf.keras.layers = types.ModuleType("tensorflow.keras.layers")',
            'sys.modules.update({"tensorflow": tf, "tensorflow.keras": tf.keras, "tensorflow.keras.layers": tf.keras.layers})',
            'spec = importlib.util.spec_from_file_location("train", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
            'import numpy as np',
            'x, y = m.load_split("train")',
            'xs = m.prepare(x[:6])',
            'maps = [[-1.0, 0.0, 27.0, 0.0, 1.0, 0.0]] * 3',
            'flipped = m.augment(x[:3], {"maps": maps, "bright": [], "contrast": [], "noise": None}, [0, 1, 2])',
            'draws = m.draw_augment(6, 28, 28, 0, 0)',
            'aug = m.prepare(x[:6], draws, list(range(6)))',
            'probs = np.eye(5)[[0, 1, 2, 3, 4, 0]] * 0.9 + 0.02',
            'met = m.compute_metrics(probs, np.array([0, 1, 2, 3, 4, 1]))',
            'try:\n    m.load_npy("data", "gone_images.npy"); missing = ""\nexcept SystemExit as e:\n    missing = str(e)',
            'print(json.dumps({"missing": missing, "shape": list(x.shape), "n": int(len(y)), "range": [float(xs.min()), float(xs.max())], "flip": bool(np.array_equal(flipped, x[:3, :, ::-1, :])),',
            '                  "aug_range": [float(aug.min()), float(aug.max())], "aug_changed": bool(not np.allclose(aug, xs)), "metrics": met,',
            '                  "class_weights": m.class_weights().tolist()}))'
        ].join('\n');
        const r = py<{ missing: string; shape: number[]; n: number; range: number[]; flip: boolean; aug_range: number[]; aug_changed: boolean; metrics: Record<string, unknown>; class_weights: number[] }>(code, join(out, 'train.py'));
        // A missing project file stops the run with its name and what to do, not a traceback.
        expect(r.missing).toMatch(/data\/gone_images\.npy: cannot be read .*export the project again with 'graft export'/);
        expect(r.shape).toEqual([300, 28, 28, 1]);
        expect(r.n).toBe(300);
        // normalize symmetric: [-1, 1]
        expect(r.range[0]).toBeGreaterThanOrEqual(-1);
        expect(r.range[1]).toBeLessThanOrEqual(1);
        expect(r.flip).toBe(true);
        expect(r.aug_changed).toBe(true);
        expect(r.aug_range[0]).toBeGreaterThanOrEqual(-1);
        expect(r.aug_range[1]).toBeLessThanOrEqual(1 + 1e-6);
        // The sixth image's true class ties for second place: inside the top 2, as Graft counts ties.
        expect(r.metrics).toMatchObject({ accuracy: 5 / 6, top_2: 1 });
        expect((r.metrics.confusion as number[][])[1]).toEqual([1, 1, 0, 0, 0]);
        // 60 training images per class: every weight n / (C · n_c) = 1.
        expect(r.class_weights).toEqual([1, 1, 1, 1, 1]);
    });

    it('refuses what does not translate, naming the spec line; `graft export --to keras` on the command line', async () => {
        let msg = '';
        try {
            await exportExperiment({ file: spec, experiment: 'keras_map', target: kerasTarget, out: join(dir, 'map'), warn: () => undefined, selectPlan });
        } catch (err) {
            expect(err).toBeInstanceOf(ExportRefused);
            msg = (err as Error).message;
        }
        const line = SPEC.split('\n').findIndex((l) => l.includes('metrics accuracy, map')) + 1;
        expect(msg).toBe(`${displayPath(spec)}:${line}:3: error: \`metrics map\` cannot be exported to keras: map is not computed by the exported script; drop it from \`metrics\` (accuracy, top k, precision, recall, f1 and confusion are exported)`);
        const cliOut = join(dir, 'cli');
        const code = await main(['export', spec, '--experiment', 'keras_all', '--to', 'keras', '--out', cliOut]);
        expect(code).toBe(0);
        expect(readFileSync(join(cliOut, 'train.py'), 'utf8')).toContain('def build_model():');
        expect(await main(['export', spec, '--experiment', 'keras_all', '--to', 'jax'])).toBe(2);
    });
});
