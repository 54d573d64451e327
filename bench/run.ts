// `npm run bench`: Graft's offline backend against PyTorch on the CPU, same workloads, one run,
// interleaved (Graft, PyTorch, Graft, PyTorch, ...) because timings on shared machines drift.
//
//   npm run bench -- [--rounds 3] [--threads 1] [--torch-threads N] [--json]
//
// Workloads (batch 32, MobileNetV2 α0.35 at 96x96, random weights, 10 classes):
//   forward   feature extraction: the whole network in inference mode (Graft folds BatchNorm)
//   finetune  one training step of block_15, block_16, Conv_1 and the head, with the frozen
//             rest's forward included (frozen part inference-only, folded on Graft's side)
//   head      one epoch of a dense head on 5,000 cached 1,280-d features (Adam)
// PyTorch is Debian's python3-torch / python3-torchvision (installed with apt when missing).
// Besides wall-clock images/s, each side reports images per CPU-second of its process, which a
// busy shared machine distorts far less; the ratios of both are printed.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { foldModelBatchNorms } from '../src/runtime/backend/fold-batchnorm.js';
import { selectBackend } from '../src/runtime/backend/select.js';
import { mobilenetV2, splitModel } from './backend-nets.js';

const BATCH = 32;
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
}
type GraftSide = Side & { backend: string; forward_unfolded_ips: number };
type TorchSide = Side & { torch: string; threads: number };

function cpuSeconds(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
}

async function timed(fn: () => Promise<void>, reps: number): Promise<[number, number]> {
    await fn();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    const wall = (performance.now() - t0) / 1000;
    return [(BATCH * reps) / wall, (BATCH * reps) / (cpuSeconds() - c0)];
}

async function graftChild(threads: number): Promise<GraftSide> {
    const chosen = await selectBackend('wasm', { threads });
    const x = tf.randomUniform([BATCH, 96, 96, 3], -1, 1);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10);
    const net = mobilenetV2(0.35, 96, 10);

    const predictOnce = (m: tf.LayersModel) => async () => {
        const out = m.predict(x) as tf.Tensor;
        await out.data();
        out.dispose();
    };
    const [forwardUnfolded] = await timed(predictOnce(net), 3);
    const { model: folded } = await foldModelBatchNorms(net);
    const [forward, forwardCpu] = await timed(predictOnce(folded), 5);

    // Fine-tuning: frozen prefix (folded, inference only) + trained tail.
    const { prefix, tail } = splitModel(net, 'block_14_add');
    const { model: frozen } = await foldModelBatchNorms(prefix);
    const optimizer = tf.train.adam(1e-3);
    const tailVars = tail.trainableWeights.map((w) => w.read() as tf.Variable);
    const [finetune, finetuneCpu] = await timed(async () => {
        const features = frozen.predict(x) as tf.Tensor;
        const loss = optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(labels, tail.apply(features, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
            tailVars
        );
        await loss!.data();
        loss!.dispose();
        features.dispose();
    }, 5);

    // Head epoch on cached features: one gather per epoch to shuffle, contiguous slices per batch.
    const n = 5000;
    const features = tf.randomNormal([n, 1280]);
    const targets = tf.oneHot(tf.randomUniform([n], 0, 10, 'int32'), 10);
    const w = tf.variable(tf.randomNormal([1280, 10], 0, 0.01));
    const b = tf.variable(tf.zeros([10]));
    const headOpt = tf.train.adam(1e-3);
    const epoch = async () => {
        const order = tf.tensor1d(Array.from(tf.util.createShuffledIndices(n)), 'int32');
        const [xs, ys] = tf.tidy(() => [tf.gather(features, order), tf.gather(targets, order)]);
        order.dispose();
        let last: tf.Scalar | null = null;
        for (let i = 0; i < n; i += BATCH) {
            const size = Math.min(BATCH, n - i);
            last?.dispose();
            last = headOpt.minimize(() => {
                const xb = tf.slice(xs!, [i, 0], [size, 1280]);
                const yb = tf.slice(ys!, [i, 0], [size, 10]);
                return tf.losses.softmaxCrossEntropy(yb, tf.add(tf.matMul(xb, w), b)) as tf.Scalar;
            }, true);
        }
        await last!.data();
        last!.dispose();
        xs!.dispose();
        ys!.dispose();
    };
    await epoch();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    await epoch();
    const epochS = (performance.now() - t0) / 1000;
    const epochCpu = cpuSeconds() - c0;

    return {
        backend: chosen.detail,
        forward_unfolded_ips: forwardUnfolded,
        forward_ips: forward,
        forward_cpu_ips: forwardCpu,
        finetune_ips: finetune,
        finetune_cpu_ips: finetuneCpu,
        head_epoch_s: epochS,
        head_ips: n / epochS,
        head_cpu_ips: n / epochCpu
    };
}

function lastJsonLine(text: string): unknown {
    const line = text.trim().split('\n').pop() ?? '';
    return line.startsWith('{') ? JSON.parse(line) : undefined;
}

function ensureTorch(): string | undefined {
    const probe = () => spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (probe().status === 0) return undefined;
    process.stderr.write('PyTorch not found; installing python3-torch python3-torchvision with apt-get...\n');
    const install = spawnSync('apt-get', ['install', '-y', 'python3-torch', 'python3-torchvision'], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    });
    if (install.status !== 0 || probe().status !== 0) {
        return 'PyTorch is not available: run `apt-get install -y python3-torch python3-torchvision` (as root) and retry';
    }
    return undefined;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function parent(): void {
    const args = process.argv.slice(2);
    const json = args.includes('--json');
    const opt = (name: string, fallback: number) => {
        const at = args.indexOf(name);
        return at >= 0 ? Number(args[at + 1]) : fallback;
    };
    const rounds = opt('--rounds', 3);
    const threads = opt('--threads', Number(process.env['GRAFT_WASM_THREADS'] ?? 1));
    // Same thread count on both sides by default: on a shared machine PyTorch's OpenMP pool
    // collapses when oversubscribed (5 img/s instead of 99 here with 2 threads at load 20).
    const torchThreads = opt('--torch-threads', threads);
    const torchProblem = ensureTorch();
    if (torchProblem !== undefined) process.stderr.write(`${torchProblem}\n`);
    const self = fileURLToPath(import.meta.url);
    const graft: GraftSide[] = [];
    const torch: TorchSide[] = [];
    for (let r = 0; r < rounds; r++) {
        const g = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 24 });
        const gr = lastJsonLine(g.stdout) as GraftSide | undefined;
        if (gr === undefined) process.stderr.write(`bench: Graft run failed (exit ${g.status}):\n${g.stderr}\n`);
        else graft.push(gr);
        if (torchProblem === undefined) {
            const t = spawnSync(PYTHON, [join(here, 'torch_bench.py'), String(torchThreads)], { encoding: 'utf8' });
            const tr = lastJsonLine(t.stdout) as TorchSide | undefined;
            if (tr === undefined) process.stderr.write(`bench: PyTorch run failed (exit ${t.status}):\n${t.stderr}\n`);
            else torch.push(tr);
        }
        if (!json) process.stderr.write(`round ${r + 1}/${rounds} done\n`);
    }
    const med = <T>(xs: T[], k: keyof T) => (xs.length > 0 ? median(xs.map((x) => Number(x[k]))) : undefined);
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
    const workloads = (['forward', 'finetune', 'head'] as const).map((name) => {
        const graftIps = med(graft, `${name}_ips`);
        const torchIps = med(torch, `${name}_ips`);
        const graftCpu = med(graft, `${name}_cpu_ips`);
        const torchCpu = med(torch, `${name}_cpu_ips`);
        return {
            name,
            graft_ips: graftIps,
            torch_ips: torchIps,
            ratio: ratio(graftIps, torchIps),
            graft_cpu_ips: graftCpu,
            torch_cpu_ips: torchCpu,
            cpu_ratio: ratio(graftCpu, torchCpu),
            ...(name === 'head' ? { graft_epoch_s: med(graft, 'head_epoch_s'), torch_epoch_s: med(torch, 'head_epoch_s') } : {}),
            ...(name === 'forward' ? { graft_unfolded_ips: med(graft, 'forward_unfolded_ips') } : {})
        };
    });
    const fmt = (n: number | undefined, d = 1) => (n === undefined ? '-' : n.toFixed(d));
    console.log(`Graft: ${graft[0]?.backend ?? 'failed'}; PyTorch ${torch[0]?.torch ?? '-'} with ${torchThreads} threads; ${graft.length}/${torch.length} runs; load average ${os.loadavg()[0]!.toFixed(1)}`);
    console.log('workload   graft img/s  torch img/s  ratio   | graft img/cpu-s  torch img/cpu-s  ratio');
    for (const w of workloads) {
        console.log(
            `${w.name.padEnd(9)} ${fmt(w.graft_ips).padStart(12)} ${fmt(w.torch_ips).padStart(12)} ${fmt(w.ratio, 2).padStart(6)}   | ${fmt(w.graft_cpu_ips).padStart(15)} ${fmt(w.torch_cpu_ips).padStart(16)} ${fmt(w.cpu_ratio, 2).padStart(6)}`
        );
    }
    const head = workloads[2]!;
    console.log(`head epoch: Graft ${fmt(head.graft_epoch_s, 2)} s, PyTorch ${fmt(head.torch_epoch_s, 2)} s (target < 0.5 s)`);
    console.log(`forward without BatchNorm folding: ${fmt(workloads[0]!.graft_unfolded_ips)} img/s`);
    console.log('digits_transfer end to end: not measured here (needs `graft run`; see the runtime issue)');
    if (json) {
        console.log(
            JSON.stringify({
                workloads,
                backend: graft[0]?.backend ?? null,
                torch: torch[0] ? { version: torch[0].torch, threads: torch[0].threads } : null,
                rounds,
                loadavg: os.loadavg()[0]
            })
        );
    }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
    const result = await graftChild(Number(process.argv[childAt + 1] ?? 1));
    console.log(JSON.stringify(result));
} else {
    parent();
}
