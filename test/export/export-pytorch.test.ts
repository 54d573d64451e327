// `graft export --to pytorch` without torch: the project's files, the generated script (parsed by
// Python's own parser, its plan constants read back with ast.literal_eval and compared with the
// Graft plan), the data and split, and refusals that name the right spec line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportExperiment, type ExportOutcome } from '../../src/runtime/export/export.js';
import { ExportRefused } from '../../src/runtime/export/refusals.js';
import { displayPath } from '../../src/cli/cli-input.js';
import { exportCommand } from '../../src/cli/export.js';
import { pytorchTarget } from '../../src/runtime/export/pytorch/target.js';
import { selectPlan } from '../../src/language/plan/workspace-plans.js';

const ROOT = join(import.meta.dirname, '../..');
const FASHION = join(ROOT, 'examples/data/fashion5');
const PYTHON = '/usr/bin/python3';
const hasPython = existsSync(PYTHON);

const SPEC = `dataset shoes {
  source folder "${FASHION}"
  image 28 x 28 grayscale
  normalize symmetric
  split train 60%, val 20%, test 20% stratified
  augment {
    flip horizontal
    rotate 10
    zoom 0.1
  }
}

experiment exp_all {
  data shoes
  backbone small_cnn filters 8, 16
  freeze all
  head {
    pool flatten
    dense 24 gelu
    batchnorm
    dropout 0.25
    output softmax
  }
  loss focal gamma 2.5
  optimizer sgd lr 0.037 momentum 0.85 nesterov
  backbone lr 0.0041
  schedule step every 2 factor 0.55
  train {
    epochs 3
    batch 24
    early_stop val_accuracy patience 2 min_delta 0.003
    checkpoint best val_f1
    clip_norm 1.7
  }
  stage tune {
    unfreeze last 1 blocks
    optimizer rmsprop lr 0.0023
    schedule one_cycle
    epochs 2
  }
  evaluate on test
  metrics accuracy, top 2, precision micro, recall, f1 macro, confusion
  seed 11
}

experiment exp_auc {
  data shoes
  backbone small_cnn filters 8, 16
  head {
    pool average
    output softmax
  }
  metrics accuracy, auc
  seed 2
}

experiment exp_proto {
  data shoes
  backbone small_cnn filters 8, 16
  head prototypes
  evaluate episodes 10 way 2 shot 1 query 2
  seed 1
}
`;

let dir: string;
let spec: string;
let out: string;
let outcome: ExportOutcome;
const warnings: string[] = [];

/** 1-based line and column of the first line of `text` that starts (after blanks) with `start`. */
function lineOf(text: string, start: string): { line: number; column: number } {
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.trimStart().startsWith(start));
    expect(i, `no line starting with ${start}`).toBeGreaterThanOrEqual(0);
    return { line: i + 1, column: lines[i].length - lines[i].trimStart().length + 1 };
}

async function refusal(file: string, experiment: string): Promise<string> {
    try {
        await exportExperiment({ file, experiment, target: pytorchTarget, out: join(dir, `out-${experiment}`), warn: () => undefined, selectPlan });
    } catch (err) {
        expect(err).toBeInstanceOf(ExportRefused);
        return (err as Error).message;
    }
    throw new Error(`${experiment} was exported, but should have been refused`);
}

/** The script's top-level constants, read by Python's parser (ast.literal_eval). */
function constants(script: string): Record<string, unknown> {
    const code = [
        'import ast, json, sys',
        'tree = ast.parse(open(sys.argv[1]).read())',
        'out = {}',
        'for node in tree.body:',
        '    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):',
        '        try:',
        '            out[node.targets[0].id] = ast.literal_eval(node.value)',
        '        except ValueError:',
        '            pass',
        'print(json.dumps(out))'
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', code, script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graft-export-'));
    spec = join(dir, 'spec.graft');
    writeFileSync(spec, SPEC);
    out = join(dir, 'project');
    outcome = await exportExperiment({ file: spec, experiment: 'exp_all', target: pytorchTarget, out, warn: (m) => warnings.push(m), selectPlan });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('graft export --to pytorch', () => {
    it('writes the documented project layout', () => {
        for (const f of ['train.py', 'requirements.txt', 'README.md', 'export.json', 'plan.json', 'spec.graft.txt', 'splits.json', 'results-template.json', 'weights/index.json']) {
            expect(existsSync(join(out, f)), f).toBe(true);
        }
        for (const s of ['train', 'val', 'test']) {
            expect(existsSync(join(out, `data/${s}_images.npy`))).toBe(true);
            expect(existsSync(join(out, `data/${s}_labels.npy`))).toBe(true);
        }
        expect(readFileSync(join(out, 'requirements.txt'), 'utf8')).toMatch(/^torch>=1\.13$/m);
        const template = JSON.parse(readFileSync(join(out, 'results-template.json'), 'utf8'));
        expect(template).toMatchObject({ experiment: 'exp_all', seed: 11, backend: 'pytorch-ddp', classes: [['bag', 'sandal', 'sneaker', 'trouser', 'tshirt']] });
        expect(template.cacheKey).toMatch(/\S/);
    });

    it('writes the split Graft computes: .npy headers and counts match splits.json', () => {
        const splits = JSON.parse(readFileSync(join(out, 'splits.json'), 'utf8')).datasets.shoes;
        expect(splits.counts).toEqual({ train: 300, val: 100, test: 100 });
        for (const s of ['train', 'val', 'test'] as const) {
            const images = readFileSync(join(out, `data/${s}_images.npy`));
            const header = images.subarray(10, 10 + images.readUInt16LE(8)).toString('latin1');
            expect(header).toContain(`'descr': '|u1'`);
            expect(header).toContain(`'shape': (${splits.counts[s]}, 28, 28, 1)`);
            expect((10 + header.length) % 64).toBe(0);
            expect(images.length).toBe(10 + header.length + splits.counts[s] * 28 * 28);
            const labels = readFileSync(join(out, `data/${s}_labels.npy`));
            const lh = labels.subarray(10, 10 + labels.readUInt16LE(8)).toString('latin1');
            expect(lh).toContain(`'descr': '<i8', 'fortran_order': False, 'shape': (${splits.counts[s]},)`);
            const values = new BigInt64Array(labels.buffer.slice(labels.byteOffset + 10 + lh.length, labels.byteOffset + labels.length));
            expect(values.every((v) => v >= 0n && v < 5n)).toBe(true);
        }
    });

    it('resolves per-stage trainable layers as the runtime does (BatchNorm of a random backbone trains)', () => {
        expect(outcome.ctx.stages.map((s) => s.trainableLayers)).toEqual([[], ['block2_conv', 'block2_bn']]);
        expect(outcome.ctx.pretrained).toBe(false);
    });

    it('warns, with the statement line, about what is not exported but not refused', async () => {
        const file = join(ROOT, 'examples/fashion-finetune.graft');
        const text = readFileSync(file, 'utf8');
        const runs = join(dir, 'no-runs');
        mkdirSync(runs);
        const msg = await (async () => {
            try {
                await exportExperiment({ file, experiment: 'fashion_from_digits', target: pytorchTarget, out: join(dir, 'ff'), runsDir: runs, warn: (m) => warnings.push(m), selectPlan });
            } catch (err) {
                return (err as Error).message;
            }
            return '';
        })();
        const b = lineOf(text, 'baseline scratch');
        expect(warnings.some((w) => w.includes(`fashion-finetune.graft:${b.line}:${b.column}: warning: \`baseline scratch\` is not exported`))).toBe(true);
        // No run of digits_pretrain: refused at the backbone line, saying what to run.
        const bb = lineOf(text, 'backbone digits_pretrain');
        expect(msg).toContain(`fashion-finetune.graft:${bb.line}:${bb.column}: error: \`backbone digits_pretrain\` needs a completed, up-to-date run of digits_pretrain`);
        expect(msg).toContain('graft run');
    });

    it.skipIf(!hasPython)(`train.py parses with Python and names every layer and hyperparameter of the plan${hasPython ? '' : ' (skipped: no /usr/bin/python3)'}`, () => {
        const script = join(out, 'train.py');
        const text = readFileSync(script, 'utf8');
        const c = constants(script);
        const plan = outcome.ctx.plan;
        // Every layer of Graft's network is a module under its own name and a line of forward().
        for (const l of outcome.ctx.layers) {
            if (l.part === 'input') continue;
            expect(text).toContain(`t["${l.name}"] = `);
            if (!['Add', 'Multiply', 'Concatenate'].includes(l.className)) expect(text).toContain(`self.layers["${l.name}"] = `);
        }
        expect(c.BACKBONE_LAYERS).toEqual(['block1_conv', 'block1_bn', 'block1_relu', 'block1_pool', 'block2_conv', 'block2_bn', 'block2_relu', 'block2_pool']);
        expect(c.HEAD_LAYERS).toEqual(['main_pool_1', 'main_dense_2', 'main_batchnorm_3', 'main_dropout_4', 'main_logits']);
        expect(text).toContain('self.layers["main_dense_2"] = Dense(784, 24, bias=True, activation="gelu")');
        expect(text).toContain('self.layers["main_dropout_4"] = nn.Dropout(0.25)');
        expect(text).toContain('self.layers["main_batchnorm_3"] = BatchNorm1d(24, eps=0.001, keras_momentum=0.99)');
        expect(text).toContain('self.layers["block1_conv"] = Conv2d(1, 8, (3, 3), stride=(1, 1), pad=(1, 1, 1, 1)');
        // Every hyperparameter, as the plan resolved it.
        expect(c.SEED).toBe(11);
        expect(c.EXPERIMENT).toBe('exp_all');
        expect(c.HEAD).toEqual({ name: 'main', activation: 'softmax', loss: { kind: 'focal', gamma: 2.5 }, layers: JSON.parse(JSON.stringify(plan.head.kind === 'output' ? plan.head.heads[0].layers : [])) });
        expect(c.AUGMENT).toEqual({ flip: 'horizontal', rotate: 10, zoom: 0.1 });
        expect(c.NORMALIZE).toMatchObject({ preset: 'symmetric', offset: [-1] });
        expect(c.METRICS).toEqual(JSON.parse(JSON.stringify(plan.metrics)));
        expect(c.EVALUATE).toEqual(['test']);
        const stages = c.STAGES as Record<string, unknown>[];
        expect(stages).toHaveLength(2);
        expect(stages[0]).toMatchObject({
            name: 'train', epochs: 3, batch: 24, optimizer: { kind: 'sgd', lr: 0.037, momentum: 0.85, nesterov: true }, backbone_lr: 0.0041,
            schedule: { kind: 'step', every: 2, factor: 0.55 }, early_stop: { monitor: 'val_accuracy', patience: 2, min_delta: 0.003 },
            checkpoint: { monitor: 'val_f1' }, clip_norm: 1.7, trainable_layers: []
        });
        expect(stages[1]).toMatchObject({ name: 'tune', epochs: 2, optimizer: { kind: 'rmsprop', lr: 0.0023 }, schedule: { kind: 'one_cycle' }, trainable_layers: ['block2_conv', 'block2_bn'] });
        const tuneLine = lineOf(SPEC, 'stage tune');
        expect(stages[1].at).toMatch(new RegExp(`spec\\.graft:${tuneLine.line}:${tuneLine.column}$`));
        expect(stages.map((s) => s.trainable_params)).toEqual(outcome.ctx.stages.map((s) => s.trainableParams));
    });

    it('refuses what does not translate, naming the spec line', async () => {
        expect(await refusal(spec, 'exp_auc')).toBe(`${displayPath(spec)}:${lineOf(SPEC, 'metrics accuracy, auc').line}:3: error: \`metrics auc\` cannot be exported to pytorch: auc is not computed by the exported script; drop it from \`metrics\` (accuracy, top k, precision, recall, f1 and confusion are exported)`);
        const proto = lineOf(SPEC, 'head prototypes');
        expect(await refusal(spec, 'exp_proto')).toMatch(new RegExp(`^${displayPath(spec).replace(/[.\\/]/g, '\\$&')}:${proto.line}:${proto.column}: error: \`head prototypes\` cannot be exported to pytorch: .*graft run`));
        const da = join(ROOT, 'examples/domain-adaptation.graft');
        const adapt = lineOf(readFileSync(da, 'utf8'), 'adapt to');
        expect(await refusal(da, 'clean_to_shifted')).toContain(`domain-adaptation.graft:${adapt.line}:${adapt.column}: error: \`adapt to`);
    });

    it('never overwrites a folder that is not an export', async () => {
        const busy = join(dir, 'busy');
        mkdirSync(busy);
        writeFileSync(join(busy, 'notes.txt'), 'mine');
        await expect(exportExperiment({ file: spec, experiment: 'exp_all', target: pytorchTarget, out: busy, warn: () => undefined, selectPlan })).rejects.toThrow(/is a folder with other files in it/);
        expect(readFileSync(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
    });

    it('--run: the split must match that run\'s splits.json, else the dataset line is named', async () => {
        const run = join(dir, 'a-run');
        mkdirSync(run);
        const splits = JSON.parse(readFileSync(join(out, 'splits.json'), 'utf8'));
        const test = splits.datasets.shoes.splits.test as string[];
        [test[0], test[1]] = [test[1], test[0]];
        writeFileSync(join(run, 'splits.json'), JSON.stringify(splits));
        const msg = await exportExperiment({ file: spec, experiment: 'exp_all', target: pytorchTarget, out: join(dir, 'with-run'), run, warn: () => undefined, selectPlan }).then(
            () => '',
            (err: Error) => err.message
        );
        expect(msg).toBe(`${displayPath(spec)}:1:1: error: the test split computed now (100 images) differs from ${displayPath(join(run, 'splits.json'))} (100): the data files changed since that run; run \`graft run\` again or pass --run with a current run`);
        const empty = join(dir, 'not-a-run');
        mkdirSync(empty);
        await expect(exportExperiment({ file: spec, experiment: 'exp_all', target: pytorchTarget, out: join(dir, 'with-run'), run: empty, warn: () => undefined, selectPlan })).rejects.toThrow(/no splits\.json there/);
    });

    it('CLI: usage problems exit 2 with one line, refusals exit 1', async () => {
        const errors: string[] = [];
        const original = console.error;
        console.error = (...args: unknown[]) => void errors.push(args.join(' '));
        try {
            expect(await exportCommand([spec, '--experiment', 'exp_all'])).toBe(2);
            expect(errors.pop()).toMatch(/^graft export: say which engine with --to \(pytorch, keras\)$/);
            expect(await exportCommand([spec, '--experiment', 'exp_all', '--to', 'onnx'])).toBe(2);
            expect(errors.pop()).toBe("graft export: unknown target 'onnx' (targets: pytorch, keras)");
            expect(await exportCommand([spec, '--experiment', 'exp_all', '--to', 'pytorch', '--seed', 'x'])).toBe(2);
            expect(await exportCommand([spec, '--experiment', 'exp_proto', '--to', 'pytorch', '--out', join(dir, 'cli')])).toBe(1);
            expect(errors.pop()).toContain('error: `head prototypes` cannot be exported to pytorch');
        } finally {
            console.error = original;
        }
    });
});
