// Micro-benchmark of the offline backends: images/s for MobileNetV2 α0.35 @96 forward (batch 32)
// and one small_cnn training step (batch 32, 28x28x1), on wasm (1 and 2 threads) and the pure
// JS cpu backend. Each configuration runs in its own process (the backend is process-wide),
// interleaved over rounds because timings on shared machines drift.
//
//   npx tsx bench/backend.ts [--rounds 3] [--json]
//
// Besides wall-clock images/s it prints images per CPU-second of the process, which is what a
// busy shared machine does not distort (for the threaded build it counts both threads' time).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { median, mobilenetV2, smallCnn } from './backend-nets.js';

interface ChildResult {
    config: string;
    detail: string;
    forward: { ips: number; cpuIps: number };
    train: { ips: number; cpuIps: number };
}

const BATCH = 32;

function cpuSeconds(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
}

/** Runs `step` (one batch) `reps` times after `warmup` runs; images/s by wall and by CPU time. */
async function measure(step: () => Promise<void>, warmup: number, reps: number): Promise<{ ips: number; cpuIps: number }> {
    for (let i = 0; i < warmup; i++) await step();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await step();
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds() - c0;
    return { ips: (BATCH * reps) / wall, cpuIps: (BATCH * reps) / cpu };
}

async function child(config: string): Promise<ChildResult> {
    const [kind, threads] = config.split(':');
    const chosen = await selectBackend(kind === 'cpu' ? 'js' : 'wasm', { threads: Number(threads ?? 1) });
    const slow = kind === 'cpu';

    const net = mobilenetV2(0.35, 96, 10);
    const images = tf.randomUniform([BATCH, 96, 96, 3], -1, 1);
    const forward = await measure(
        async () => {
            const out = net.predict(images) as tf.Tensor;
            await out.data();
            out.dispose();
        },
        1,
        slow ? 1 : 5
    );

    const cnn = smallCnn([16, 32], 28, 10, 1);
    const optimizer = tf.train.adam(1e-3);
    const digits = tf.randomUniform([BATCH, 28, 28, 1]);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10);
    const train = await measure(
        async () => {
            const loss = optimizer.minimize(
                () => tf.losses.softmaxCrossEntropy(labels, cnn.apply(digits, { training: true }) as tf.Tensor) as tf.Scalar,
                true
            );
            await loss!.data();
            loss!.dispose();
        },
        1,
        slow ? 1 : 5
    );
    return { config, detail: chosen.detail, forward, train };
}


function parent(): void {
    const args = process.argv.slice(2);
    const json = args.includes('--json');
    const roundsAt = args.indexOf('--rounds');
    const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
    const configs = ['wasm:1', 'wasm:2', 'cpu'];
    const results = new Map<string, ChildResult[]>();
    const self = fileURLToPath(import.meta.url);
    for (let r = 0; r < rounds; r++) {
        for (const config of configs) {
            // The pure JS backend is ~100x slower: one round of it is enough for a ratio.
            if (config === 'cpu' && r > 0) continue;
            const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', config], { encoding: 'utf8' });
            const line = run.stdout.trim().split('\n').pop() ?? '';
            if (run.status !== 0 || !line.startsWith('{')) {
                process.stderr.write(`bench: ${config} failed (exit ${run.status}):\n${run.stderr}\n`);
                continue;
            }
            const result = JSON.parse(line) as ChildResult;
            results.set(config, [...(results.get(config) ?? []), result]);
            if (!json) process.stderr.write(`round ${r + 1} ${config}: forward ${result.forward.ips.toFixed(1)} img/s, train ${result.train.ips.toFixed(1)} img/s\n`);
        }
    }
    const summary = [...results].map(([config, rs]) => ({
        config,
        detail: rs[0]!.detail,
        forward_ips: median(rs.map((r) => r.forward.ips)),
        forward_cpu_ips: median(rs.map((r) => r.forward.cpuIps)),
        train_ips: median(rs.map((r) => r.train.ips)),
        train_cpu_ips: median(rs.map((r) => r.train.cpuIps)),
        runs: rs.length
    }));
    const by = (c: string) => summary.find((s) => s.config === c);
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
    const speedups = {
        forward_wasm1_vs_cpu: ratio(by('wasm:1')?.forward_ips, by('cpu')?.forward_ips),
        train_wasm1_vs_cpu: ratio(by('wasm:1')?.train_ips, by('cpu')?.train_ips),
        forward_wasm2_vs_wasm1: ratio(by('wasm:2')?.forward_ips, by('wasm:1')?.forward_ips),
        train_wasm2_vs_wasm1: ratio(by('wasm:2')?.train_ips, by('wasm:1')?.train_ips)
    };
    const fmt = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(n < 10 ? 2 : 1));
    console.log('images/s (median; "per cpu-s" = images per CPU-second of the process)');
    console.log('config    forward MobileNetV2 α0.35@96 b32   per cpu-s   train step small_cnn b32   per cpu-s   backend');
    for (const s of summary) {
        console.log(
            `${s.config.padEnd(9)} ${fmt(s.forward_ips).padStart(32)} ${fmt(s.forward_cpu_ips).padStart(11)} ${fmt(s.train_ips).padStart(26)} ${fmt(s.train_cpu_ips).padStart(11)}   ${s.detail}`
        );
    }
    console.log(
        `speedups: forward wasm/cpu ${fmt(speedups.forward_wasm1_vs_cpu)}x, train wasm/cpu ${fmt(speedups.train_wasm1_vs_cpu)}x, ` +
            `2 threads vs 1: forward ${fmt(speedups.forward_wasm2_vs_wasm1)}x, train ${fmt(speedups.train_wasm2_vs_wasm1)}x`
    );
    if (json) console.log(JSON.stringify({ results: summary, speedups }));
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
    const result = await child(process.argv[childAt + 1] ?? 'wasm:1');
    console.log(JSON.stringify(result));
} else {
    parent();
}
