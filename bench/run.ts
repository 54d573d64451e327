// `npm run bench`: Graft's offline backend against PyTorch on the CPU, same workloads, one run,
// interleaved (Graft, PyTorch, Graft, PyTorch, ...) because timings on shared machines drift.
//
//   npm run bench -- [--rounds 3] [--threads N] [--torch-threads N] [--e2e-rounds 1] [--skip-e2e] [--json]
//
// Workloads (batch 32, MobileNetV2 α0.35 at 96x96, random weights, 10 classes):
// (training steps end in a logits layer and take the trainer's loss, train/losses.ts, as PyTorch's
// CrossEntropyLoss on logits; until 2026-12-04 they took tf.losses' crossentropy of a softmax
// output: a second softmax, ≈15 small kernels that `graft run` never runs)
//   forward   feature extraction: the whole network in inference mode (Graft folds BatchNorm)
//   finetune  one training step of block_15, block_16, Conv_1 and the head, with the frozen
//             rest's forward included (frozen part inference-only, folded on Graft's side)
//   head      one epoch of a dense head on 5,000 cached 1,280-d features (Adam) through the
//             runtime's trainPhase loop (bench/head-runtime.ts), and (graft_lean_epoch_s) the same
//             step in a hand loop over contiguous slices
//   scratch   convolution training from random weights alone: small_cnn 32/64/128 on 28x28x1,
//             batch 64, every layer trained (BatchNorm in training mode), the trainer's Adam; 40
//             steps after 8 warm-up steps on fixed random inputs. The slowest path of
//             `digits_pretrain` (206 such steps in the main job) and `baseline scratch`, by itself.
//   digits_e2e  the `digits_transfer` experiment end to end (bench/digits-e2e.ts): `graft run`
//             against bench/torch_digits.py, whole processes; images/s = training images / s.
//             Minutes per round, so it runs in the first --e2e-rounds rounds only (default 1,
//             still alternating with PyTorch); --skip-e2e leaves it out. Needs `npm run build`.
// PyTorch is Debian's python3-torch / python3-torchvision (installed with apt when missing).
// Besides wall-clock images/s, each side reports images per CPU-second of its process, which a
// busy shared machine distorts far less; the ratios of both are printed.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph, frozenForTraining } from '../src/runtime/backend/frozen-graph.js';
import { autoThreads, selectBackend } from '../src/runtime/backend/select.js';
import type { OutputHeadPlan } from '../src/core/plan/types.js';
import { DenseHeadStep } from '../src/runtime/train/dense-head-step.js';
import { crossentropy } from '../src/runtime/train/losses.js';
import { GroupOptimizer } from '../src/runtime/train/optimizers.js';
import { median, mobilenetV2, smallCnnModel } from './backend-nets.js';
import { benchEnv } from './child-env.js';
import { graftDigits, torchDigits, type E2eSide } from './digits-e2e.js';
import { runtimeHeadEpochs } from './head-runtime.js';

const BATCH = 32;
/**
 * Warm-up and timed calls, the same on both sides (torch_bench.py). Each row times the steady
 * state, which a run of hundreds of batches spends most of its time in, after 8 warm-up calls:
 * the runtime measures an inference graph's thread count over its first 6
 * (backend/native-kernels/phase-threads.ts), and on Graft's side the engine's JavaScript and heap
 * settle over the first steps of a fresh model (steps 3-10 of `scratch` ran ≈20% slower than the
 * steady state). Until 2026-12-04 the rows took 1-3 warm-up calls, `forward` timed 8 batches and
 * `scratch` 8 steps (0.1-0.2 s, too little on a machine whose speed drifts); now 24 forward batches
 * (≈0.3 s) and 40 steps of digits_pretrain's batch (≈0.8 s).
 */
const WARMUP = 8;
const FORWARD_REPS = 24;
const FINETUNE_REPS = 8;
const SCRATCH_BATCH = 64;
const SCRATCH_STEPS = 40;
const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

interface Side {
    forward_ips: number;
    forward_cpu_ips: number;
    finetune_ips: number;
    finetune_cpu_ips: number;
    head_epoch_s: number;
    head_ips: number;
    head_cpu_ips: number;
    scratch_ips: number;
    scratch_cpu_ips: number;
}
type GraftSide = Side & { backend: string; forward_unfolded_ips: number; head_lean_epoch_s: number };
type TorchSide = Side & { torch: string; threads: number };

function cpuSeconds(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
}

async function timed(fn: () => Promise<void>, reps: number, warmup = 1, batch = BATCH): Promise<[number, number]> {
    for (let i = 0; i < warmup; i++) await fn();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    const wall = (performance.now() - t0) / 1000;
    return [(batch * reps) / wall, (batch * reps) / (cpuSeconds() - c0)];
}

/** `wasm:<threads>` or `tfjs-node`; a backend that does not load answers `{ unavailable }`. */
async function graftChild(config: string): Promise<GraftSide | { unavailable: string }> {
    const [kind, threadText] = config.split(':');
    let chosen: Awaited<ReturnType<typeof selectBackend>>;
    try {
        chosen = await selectBackend(kind === 'tfjs-node' ? 'tfjs-node' : 'wasm', { threads: Number(threadText ?? 1) });
    } catch (err) {
        return { unavailable: (err as Error).message.split('\n')[0]! };
    }
    const x = tf.randomUniform([BATCH, 96, 96, 3], -1, 1);
    const labels = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10), 'float32') as tf.Tensor2D;
    const net = mobilenetV2(0.35, 96, 10, 3, 'logits');

    const predictOnce = (m: tf.LayersModel) => async () => {
        const out = m.predict(x) as tf.Tensor;
        await out.data();
        out.dispose();
    };
    const [forwardUnfolded] = await timed(predictOnce(net), 3);
    // The runtime's frozen path (backend/frozen-graph.ts): BatchNorm folded, paddings absorbed,
    // ReLU6 fused into each XNNPACK convolution.
    const graph = compileFrozenGraph(net);
    const [forward, forwardCpu] = await timed(async () => {
        const out = graph.predict(x) as tf.Tensor;
        await out.data();
        out.dispose();
    }, FORWARD_REPS, WARMUP);
    graph.dispose();

    // Fine-tuning as the trainer does it: everything below block_15 frozen (BatchNorm on its
    // statistics), compiled; block_15, block_16, Conv_1 and the head train with batch statistics.
    const cut = net.layers.findIndex((l) => l.name === 'block_15_expand_conv');
    net.layers.forEach((l, i) => {
        l.trainable = i >= cut;
        if (i < cut && l.getClassName() === 'BatchNormalization') (l as unknown as { graftInference: boolean }).graftInference = true;
    });
    const stage = compileFrozenGraph(net, { constant: frozenForTraining });
    // The trainer's optimizer (train/optimizers.ts: Adam over all variables at once).
    const optimizer = new GroupOptimizer({ kind: 'adam', lr: 1e-3 }, undefined);
    const tailVars = net.trainableWeights.map((w) => w.read() as tf.Variable);
    const [finetune, finetuneCpu] = await timed(async () => {
        const frozen = stage.runFrozen(x); // outside the gradient tape, as the trainer does
        const loss = optimizer.step({ head: tailVars, backbone: [] }, () =>
            crossentropy({ logits: stage.applyFrom(frozen, { training: true }) as tf.Tensor2D, labels })
        );
        await loss.data();
        loss.dispose();
        frozen.dispose();
    }, FINETUNE_REPS, WARMUP);
    stage.dispose();
    optimizer.dispose();

    // Head epoch on cached features. The row is the runtime's own loop (bench/head-runtime.ts:
    // trainPhase, as `graft run` trains a head on a frozen backbone). The hand loop here times
    // the same step (train/dense-head-step.ts, the trainer's GroupOptimizer and loss) on
    // contiguous slices of a once-per-epoch shuffle, to show what the feed and loop add.
    const n = 5000;
    const features = tf.randomNormal([n, 1280]);
    const targets = tf.cast(tf.oneHot(tf.randomUniform([n], 0, 10, 'int32'), 10), 'float32');
    const probeInput = tf.input({ shape: [1280] });
    const probe = tf.layers.dense({ units: 10, name: 'probe_logits' });
    const probeModel = tf.model({ inputs: probeInput, outputs: probe.apply(probeInput) as tf.SymbolicTensor });
    const probeGroups = { head: probe.trainableWeights.map((v) => v.read() as tf.Variable), backbone: [] };
    const probeHead: OutputHeadPlan = { name: 'main', at: { file: 'bench/run.ts', line: 1, column: 1 }, layers: [], activation: 'softmax', weight: 1, loss: { kind: 'crossentropy', smoothing: 0 } };
    const probeStep = DenseHeadStep.of([[probe]], [probeHead], probeGroups);
    if (!(probeStep instanceof DenseHeadStep)) throw new Error(`the dense head step does not apply: ${probeStep.reason}`);
    const headOpt = new GroupOptimizer({ kind: 'adam', lr: 1e-3 }, undefined);
    const epoch = async () => {
        const order = tf.tensor1d(Array.from(tf.util.createShuffledIndices(n)), 'int32');
        const [xs, ys] = tf.tidy(() => [tf.gather(features, order), tf.gather(targets, order)]);
        order.dispose();
        let last: tf.Scalar | null = null;
        for (let i = 0; i < n; i += BATCH) {
            const size = Math.min(BATCH, n - i);
            last?.dispose();
            const xb = tf.slice(xs!, [i, 0], [size, 1280]);
            const yb = tf.slice(ys!, [i, 0], [size, 10]) as tf.Tensor2D;
            const out = probeStep.run(xb, yb, undefined, headOpt, probeGroups);
            tf.dispose([xb, yb, out.logits]);
            last = out.loss;
        }
        await last!.data();
        last!.dispose();
        xs!.dispose();
        ys!.dispose();
    };
    await epoch();
    const t0 = performance.now();
    await epoch();
    const leanEpochS = (performance.now() - t0) / 1000;
    tf.dispose([features, targets]);
    probeModel.dispose();
    headOpt.dispose();
    // The runtime's loop, 8 epochs: the first caches the features, and V8 keeps optimising the
    // loop's code over the next one or two (0.044, 0.033, 0.035, then ≈0.025 s here); the median of
    // epochs 2-8 is the steady state a run of tens of epochs spends most of its time in.
    const runtimeEpochs = (await runtimeHeadEpochs(n, 1280, 10, BATCH, 8)).slice(1);
    const epochS = median(runtimeEpochs.map((e) => e.wall));
    const epochCpu = median(runtimeEpochs.map((e) => e.cpu));

    // From-scratch convolution training: every layer of small_cnn, BatchNorm on batch statistics.
    const scratchX = tf.randomUniform([SCRATCH_BATCH, 28, 28, 1], 0, 1);
    const scratchY = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: SCRATCH_BATCH }, (_, i) => i % 5), 'int32'), 5), 'float32') as tf.Tensor2D;
    const cnn = smallCnnModel([32, 64, 128], 'logits');
    const cnnOpt = new GroupOptimizer({ kind: 'adam', lr: 1e-3 }, undefined);
    const cnnVars = cnn.trainableWeights.map((v) => v.read() as tf.Variable);
    const [scratch, scratchCpu] = await timed(async () => {
        const loss = cnnOpt.step({ head: cnnVars, backbone: [] }, () =>
            crossentropy({ logits: cnn.apply(scratchX, { training: true }) as tf.Tensor2D, labels: scratchY })
        );
        await loss.data();
        loss.dispose();
    }, SCRATCH_STEPS, WARMUP, SCRATCH_BATCH);
    cnnOpt.dispose();
    tf.dispose([scratchX, scratchY]);
    cnn.dispose();

    return {
        backend: chosen.detail,
        forward_unfolded_ips: forwardUnfolded,
        forward_ips: forward,
        forward_cpu_ips: forwardCpu,
        finetune_ips: finetune,
        finetune_cpu_ips: finetuneCpu,
        head_epoch_s: epochS,
        head_ips: n / epochS,
        head_cpu_ips: n / epochCpu,
        head_lean_epoch_s: leanEpochS,
        scratch_ips: scratch,
        scratch_cpu_ips: scratchCpu
    };
}

/** One row of the table and of the `--json` line; extra fields per workload (epoch seconds, accuracies). */
interface Workload {
    name: string;
    graft_ips: number | undefined;
    torch_ips: number | undefined;
    ratio: number | undefined;
    graft_cpu_ips: number | undefined;
    torch_cpu_ips: number | undefined;
    cpu_ratio: number | undefined;
    [extra: string]: string | number | undefined;
}

function lastJsonLine(text: string): unknown {
    const line = text.trim().split('\n').pop() ?? '';
    return line.startsWith('{') ? JSON.parse(line) : undefined;
}

/**
 * The reference as strong as Debian makes it: python3-torch with OpenBLAS for its dense layers
 * (libopenblas0-pthread). Without it torch falls back to the reference BLAS, and its dense head
 * epoch took 0.12-0.13 s here instead of 0.04 s: a slower reference would flatter Graft.
 */
function ensureTorch(): string | undefined {
    const probe = () => spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    const openblas = () => spawnSync('dpkg', ['-s', 'libopenblas0-pthread'], { encoding: 'utf8' }).status === 0;
    if (probe().status === 0 && openblas()) return undefined;
    process.stderr.write('PyTorch or OpenBLAS not found; installing python3-torch python3-torchvision libopenblas0-pthread with apt-get...\n');
    const install = spawnSync('apt-get', ['install', '-y', 'python3-torch', 'python3-torchvision', 'libopenblas0-pthread'], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    });
    if (install.status !== 0 || probe().status !== 0) {
        return 'PyTorch is not available: run `apt-get install -y python3-torch python3-torchvision libopenblas0-pthread` (as root) and retry';
    }
    return undefined;
}


function parent(): void {
    const args = process.argv.slice(2);
    const json = args.includes('--json');
    const opt = (name: string, fallback: number) => {
        const at = args.indexOf(name);
        if (at < 0) return fallback;
        const value = Number(args[at + 1]);
        if (!Number.isInteger(value) || value < (name === '--e2e-rounds' ? 0 : 1)) {
            process.stderr.write(`bench: ${name} takes a whole number (got ${args[at + 1] ?? 'nothing'})\n`);
            process.exit(2);
        }
        return value;
    };
    const rounds = opt('--rounds', 3);
    // Default: what `graft run` would use here (GRAFT_WASM_THREADS, else both cores when idle).
    const envThreads = Number(process.env['GRAFT_WASM_THREADS']);
    const threads = opt('--threads', Number.isFinite(envThreads) && envThreads > 0 ? envThreads : autoThreads());
    // Same thread count on both sides by default: on a shared machine PyTorch's OpenMP pool
    // collapses when oversubscribed (5 img/s instead of 99 here with 2 threads at load 20).
    const torchThreads = opt('--torch-threads', threads);
    const e2eRounds = args.includes('--skip-e2e') ? 0 : opt('--e2e-rounds', 1);
    const graftE2e: E2eSide[] = [];
    const torchE2e: E2eSide[] = [];
    const torchProblem = ensureTorch();
    if (torchProblem !== undefined) process.stderr.write(`${torchProblem}\n`);
    const self = fileURLToPath(import.meta.url);
    const graft: GraftSide[] = [];
    const torch: TorchSide[] = [];
    // tfjs-node (native TensorFlow), measured too where it is installed.
    const native: GraftSide[] = [];
    let nativeProblem: string | undefined;
    const child = (config: string): GraftSide | { unavailable: string } | undefined => {
        const g = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', config], { encoding: 'utf8', maxBuffer: 1 << 24, env: benchEnv() });
        const out = lastJsonLine(g.stdout) as GraftSide | { unavailable: string } | undefined;
        if (out === undefined) process.stderr.write(`bench: Graft run (${config}) failed (exit ${g.status}):\n${g.stderr}\n`);
        return out;
    };
    for (let r = 0; r < rounds; r++) {
        const gr = child(`wasm:${threads}`);
        if (gr !== undefined && !('unavailable' in gr)) graft.push(gr);
        if (nativeProblem === undefined) {
            const nr = child('tfjs-node');
            if (nr === undefined) nativeProblem = 'its run failed';
            else if ('unavailable' in nr) nativeProblem = nr.unavailable;
            else native.push(nr);
        }
        if (torchProblem === undefined) {
            // OpenBLAS (torch's dense layers) keeps its own thread pool: held to the same count.
            const t = spawnSync(PYTHON, [join(here, 'torch_bench.py'), String(torchThreads)], {
                encoding: 'utf8',
                env: benchEnv({ OMP_NUM_THREADS: String(torchThreads), OPENBLAS_NUM_THREADS: String(torchThreads) })
            });
            const tr = lastJsonLine(t.stdout) as TorchSide | undefined;
            if (tr === undefined) process.stderr.write(`bench: PyTorch run failed (exit ${t.status}):\n${t.stderr}\n`);
            else torch.push(tr);
        }
        if (r < e2eRounds) {
            const g2 = graftDigits(threads);
            if (typeof g2 === 'string') process.stderr.write(`bench: digits_e2e: ${g2}\n`);
            else graftE2e.push(g2);
            if (torchProblem === undefined) {
                const t2 = torchDigits(PYTHON, torchThreads);
                if (typeof t2 === 'string') process.stderr.write(`bench: digits_e2e: ${t2}\n`);
                else torchE2e.push(t2);
            }
        }
        if (!json) process.stderr.write(`round ${r + 1}/${rounds} done\n`);
    }
    const med = <T>(xs: T[], k: keyof T) => (xs.length > 0 ? median(xs.map((x) => Number(x[k]))) : undefined);
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
    const row = (name: string, graftIps?: number, torchIps?: number, graftCpu?: number, torchCpu?: number): Workload => ({
        name,
        graft_ips: graftIps,
        torch_ips: torchIps,
        ratio: ratio(graftIps, torchIps),
        graft_cpu_ips: graftCpu,
        torch_cpu_ips: torchCpu,
        cpu_ratio: ratio(graftCpu, torchCpu)
    });
    const workloads: Workload[] = (['forward', 'finetune', 'head', 'scratch'] as const).map((name) => {
        const graftIps = med(graft, `${name}_ips`);
        const torchIps = med(torch, `${name}_ips`);
        const graftCpu = med(graft, `${name}_cpu_ips`);
        const torchCpu = med(torch, `${name}_cpu_ips`);
        const nativeIps = med(native, `${name}_ips`);
        return {
            ...(nativeIps !== undefined ? { tfjs_node_ips: nativeIps, tfjs_node_ratio: ratio(nativeIps, torchIps) } : {}),
            ...row(name, graftIps, torchIps, graftCpu, torchCpu),
            ...(name === 'head'
                ? { graft_epoch_s: med(graft, 'head_epoch_s'), graft_lean_epoch_s: med(graft, 'head_lean_epoch_s'), torch_epoch_s: med(torch, 'head_epoch_s') }
                : {}),
            ...(name === 'forward' ? { graft_unfolded_ips: med(graft, 'forward_unfolded_ips') } : {})
        };
    });
    if (e2eRounds > 0) {
        const graftIps = med(graftE2e, 'ips');
        const torchIps = med(torchE2e, 'ips');
        const graftCpu = med(graftE2e, 'cpu_ips');
        const torchCpu = med(torchE2e, 'cpu_ips');
        workloads.push({
            ...row('digits_e2e', graftIps, torchIps, graftCpu, torchCpu),
            graft_seconds: med(graftE2e, 'seconds'),
            torch_seconds: med(torchE2e, 'seconds'),
            train_images: graftE2e[0]?.train_images ?? torchE2e[0]?.train_images,
            graft_test_accuracy: med(graftE2e, 'test_accuracy'),
            torch_test_accuracy: med(torchE2e, 'test_accuracy'),
            graft_baseline_test_accuracy: med(graftE2e, 'baseline_test_accuracy'),
            torch_baseline_test_accuracy: med(torchE2e, 'baseline_test_accuracy'),
            graft_random_features_test_accuracy: med(graftE2e, 'random_features_test_accuracy'),
            torch_random_features_test_accuracy: med(torchE2e, 'random_features_test_accuracy')
        });
    }
    const fmt = (n: unknown, d = 1) => (typeof n === 'number' ? n.toFixed(d) : '-');
    console.log(`Graft: ${graft[0]?.backend ?? 'failed'}; PyTorch ${torch[0]?.torch ?? '-'} with ${torchThreads} threads; ${graft.length}/${torch.length} runs; load average ${os.loadavg()[0]!.toFixed(1)}`);
    console.log('workload    graft img/s  torch img/s  ratio   | graft img/cpu-s  torch img/cpu-s  ratio');
    for (const w of workloads) {
        console.log(
            `${w.name.padEnd(10)} ${fmt(w.graft_ips).padStart(12)} ${fmt(w.torch_ips).padStart(12)} ${fmt(w.ratio, 2).padStart(6)}   | ${fmt(w.graft_cpu_ips).padStart(15)} ${fmt(w.torch_cpu_ips).padStart(16)} ${fmt(w.cpu_ratio, 2).padStart(6)}`
        );
    }
    const head = workloads[2]!;
    console.log(
        `head epoch: Graft ${fmt(head['graft_epoch_s'], 3)} s (the runtime's trainPhase loop; the same step in a hand loop over slices: ${fmt(head['graft_lean_epoch_s'], 3)} s), PyTorch ${fmt(head['torch_epoch_s'], 3)} s`
    );
    console.log(`forward through tf.layers as built (no folding or fusion): ${fmt(workloads[0]!.graft_unfolded_ips)} img/s`);
    if (native.length > 0) {
        console.log(`tfjs-node (${native[0]!.backend}): ` + workloads.filter((w) => w['tfjs_node_ips'] !== undefined).map((w) => `${w.name} ${fmt(w['tfjs_node_ips'])} img/s (${fmt(w['tfjs_node_ratio'], 2)}x PyTorch)`).join(', '));
    } else console.log(`tfjs-node: not measured (${nativeProblem ?? 'no run'})`);
    const e2e = workloads.find((w) => w.name === 'digits_e2e');
    if (e2e) {
        console.log(
            `digits_transfer end to end: Graft ${fmt(e2e['graft_seconds'])} s, PyTorch ${fmt(e2e['torch_seconds'])} s for ${e2e['train_images'] ?? '-'} training images; ` +
                `test accuracy Graft ${fmt(e2e['graft_test_accuracy'], 3)} (scratch ${fmt(e2e['graft_baseline_test_accuracy'], 3)}, random_features ${fmt(e2e['graft_random_features_test_accuracy'], 3)}), ` +
                `PyTorch ${fmt(e2e['torch_test_accuracy'], 3)} (scratch ${fmt(e2e['torch_baseline_test_accuracy'], 3)}, random_features ${fmt(e2e['torch_random_features_test_accuracy'], 3)})`
        );
    } else console.log('digits_transfer end to end: skipped (--skip-e2e)');
    if (json) {
        console.log(
            JSON.stringify({
                workloads,
                backend: graft[0]?.backend ?? null,
                tfjs_node: native.length > 0 ? native[0]!.backend : { unavailable: nativeProblem ?? 'no run' },
                torch: torch[0] ? { version: torch[0].torch, threads: torch[0].threads } : null,
                rounds,
                loadavg: os.loadavg()[0]
            })
        );
    }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
    const result = await graftChild(process.argv[childAt + 1] ?? 'wasm:1');
    console.log(JSON.stringify(result));
} else {
    parent();
}
