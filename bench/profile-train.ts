// Where a training step's time goes on the offline wasm backend (one thread), per kernel.
//
//   node --import tsx bench/profile-train.ts [finetune|small_cnn ...] [--steps 5] [--top 25] [--by-shape]
//   node --import tsx bench/profile-train.ts [finetune|small_cnn ...] --ab 5 [--steps 5]
//
// Workloads:
//   finetune   as in bench/run.ts: MobileNetV2 α0.35 @96x96, batch 32; the compiled frozen
//              prefix up to block_14_add runs inference-only, one Adam step trains block_15,
//              block_16, Conv_1 and the head (BatchNorm in training mode)
//   small_cnn  digits pretraining as in examples/digits-transfer.graft: 28x28x1, batch 64,
//              per filter count (32, 64, 128) conv 3x3 → BatchNorm → relu → max-pool 2, then
//              global average pooling and a logits layer; the trainer's loss and Adam (GroupOptimizer)
// For each: wall ms per step (median of --steps after warm-up), then one step under tf.profile.
// Kernels that run other kernels (Graft's composite kernels, tfjs' `fusedConv2d__op` scopes
// around FusedConv2D) are listed twice: "inclusive" over top-level calls only (these add up to
// the step's kernel time) and "self" over every depth (time not spent in nested kernels; adds up
// to the same total). Wall minus kernel time is dispatch overhead (JS between kernels: tape,
// tidy, shape checks, optimizer bookkeeping).
// --by-shape splits the "self" rows by input shapes.
// GRAFT_WASM_BASELINE=1 (read by the wasm kernel registry) runs the earlier kernel formulations;
// --ab R times R rounds of child processes alternating new / baseline (no profiling) and prints
// the median img/s (wall) and img per CPU-second of each, since timings on a shared machine drift.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { compileFrozenGraph, frozenForTraining } from '../src/runtime/backend/frozen-graph.js';
import { selectBackend } from '../src/runtime/backend/select.js';
import { crossentropy } from '../src/runtime/train/losses.js';
import { GroupOptimizer } from '../src/runtime/train/optimizers.js';
import { median, mobilenetV2, smallCnnModel } from './backend-nets.js';

type Step = () => Promise<void>;

interface Workload {
    name: string;
    batch: number;
    step: Step;
}

async function finetune(): Promise<Workload> {
    const batch = 32;
    const x = tf.randomUniform([batch, 96, 96, 3], -1, 1);
    const labels = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10), 'float32') as tf.Tensor2D;
    const net = mobilenetV2(0.35, 96, 10, 3, 'logits');
    // As the trainer does it: layers below block_15 frozen and compiled (frozen-graph.ts), run
    // before the gradient tape; the rest trains with the trainer's optimizer.
    const cut = net.layers.findIndex((l) => l.name === 'block_15_expand_conv');
    net.layers.forEach((l, i) => {
        l.trainable = i >= cut;
        if (i < cut && l.getClassName() === 'BatchNormalization') (l as unknown as { graftInference: boolean }).graftInference = true;
    });
    const graph = compileFrozenGraph(net, { constant: frozenForTraining });
    const optimizer = new GroupOptimizer({ kind: 'adam', lr: 1e-3 }, undefined);
    const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
    return {
        name: 'finetune',
        batch,
        step: async () => {
            const frozen = graph.runFrozen(x);
            const loss = optimizer.step({ head: vars, backbone: [] }, () =>
                crossentropy({ logits: graph.applyFrom(frozen, { training: true }) as tf.Tensor2D, labels })
            );
            await loss.data();
            loss.dispose();
            frozen.dispose();
        }
    };
}

function smallCnn(): Workload {
    const batch = 64;
    const model = smallCnnModel([32, 64, 128], 'logits');
    const x = tf.randomUniform([batch, 28, 28, 1], 0, 1);
    const labels = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 5), 'int32'), 5), 'float32') as tf.Tensor2D;
    // The trainer's optimizer (train/optimizers.ts), as for `baseline scratch` and digits_pretrain.
    const optimizer = new GroupOptimizer({ kind: 'adam', lr: 1e-3 }, undefined);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    return {
        name: 'small_cnn',
        batch,
        step: async () => {
            const loss = optimizer.step({ head: vars, backbone: [] }, () =>
                crossentropy({ logits: model.apply(x, { training: true }) as tf.Tensor2D, labels })
            );
            await loss.data();
            loss.dispose();
        }
    };
}

interface KernelRecord {
    name: string;
    inputShapes?: (number[] | null)[];
    kernelTimeMs: number | { error: string };
    depth?: number;
}

/** tf.profile, with each record's nesting depth (engine.state.kernelDepth when it is pushed). */
async function profileWithDepth(step: Step): Promise<KernelRecord[]> {
    const state = (tf.engine() as unknown as { state: { kernelDepth: number; activeProfile: { kernels: KernelRecord[] } } }).state;
    const profile = state.activeProfile;
    let current: KernelRecord[] = [];
    Object.defineProperty(profile, 'kernels', {
        configurable: true,
        get: () => current,
        set: (list: KernelRecord[]) => {
            const push = list.push.bind(list);
            list.push = (...records: KernelRecord[]) => {
                for (const r of records) r.depth = state.kernelDepth;
                return push(...records);
            };
            current = list;
        }
    });
    const info = await tf.profile(step);
    return info.kernels as unknown as KernelRecord[];
}

interface Row {
    inclusive: number;
    calls: number;
    self: number;
    selfCalls: number;
}

function summarise(records: KernelRecord[], byShape: boolean): { rows: Map<string, Row>; total: number } {
    const rows = new Map<string, Row>();
    const row = (name: string) => {
        let r = rows.get(name);
        if (r === undefined) rows.set(name, (r = { inclusive: 0, calls: 0, self: 0, selfCalls: 0 }));
        return r;
    };
    // Records arrive children first; childTime[d] collects the time of depth-d records since the
    // last record at a shallower depth, i.e. the children of the next depth-(d-1) record.
    const childTime: number[] = [];
    let total = 0;
    for (const rec of records) {
        const t = typeof rec.kernelTimeMs === 'number' ? rec.kernelTimeMs : 0;
        const d = rec.depth ?? 0;
        const nested = childTime[d + 1] ?? 0;
        childTime[d + 1] = 0;
        childTime[d] = (childTime[d] ?? 0) + t;
        const r = row(rec.name);
        const s = byShape ? row(`${rec.name} ${JSON.stringify(rec.inputShapes)}`) : r;
        s.self += t - nested;
        s.selfCalls++;
        if (d === 0) {
            r.inclusive += t;
            r.calls++;
            total += t;
        }
    }
    return { rows, total };
}

function table(title: string, rows: [string, number, number][], total: number, top: number): void {
    console.log(`  ${title}`);
    for (const [name, ms, calls] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) {
        if (ms <= 0) continue;
        console.log(`    ${name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}% ${String(calls).padStart(5)} calls`);
    }
}

function cpuMs(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
}

/** Median wall and CPU milliseconds per step (CPU time is less distorted by a busy machine). */
async function stepTimes(w: Workload, steps: number): Promise<{ wall: number; cpu: number }> {
    for (let i = 0; i < 5; i++) await w.step();
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        const c0 = cpuMs();
        await w.step();
        walls.push(performance.now() - t0);
        cpus.push(cpuMs() - c0);
    }
    return { wall: median(walls), cpu: median(cpus) };
}

async function stepMs(w: Workload, steps: number): Promise<number> {
    return (await stepTimes(w, steps)).wall;
}

async function run(w: Workload, steps: number, top: number, byShape: boolean): Promise<void> {
    const wall = await stepMs(w, steps);
    const t0 = performance.now();
    const records = await profileWithDepth(w.step);
    const profiledWall = performance.now() - t0;
    const { rows, total } = summarise(records, byShape);
    console.log(`\n${w.name}: batch ${w.batch}, ${wall.toFixed(1)} ms/step (median of ${steps}), ${((w.batch * 1000) / wall).toFixed(1)} img/s`);
    console.log(
        `  profiled step: wall ${profiledWall.toFixed(1)} ms, kernels ${total.toFixed(1)} ms, outside kernels ${(profiledWall - total).toFixed(1)} ms ` +
            `(${records.filter((r) => (r.depth ?? 0) === 0).length} top-level kernel calls, ${records.length} in all)`
    );
    const inclusive = [...rows].filter(([, r]) => r.calls > 0).map(([n, r]) => [n, r.inclusive, r.calls] as [string, number, number]);
    table('inclusive (top-level calls)', inclusive, total, top);
    const self = [...rows].filter(([, r]) => r.selfCalls > 0).map(([n, r]) => [n, r.self, r.selfCalls] as [string, number, number]);
    table('self (all depths)', self, total, top);
}

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
};
const steps = opt('--steps', 5);
const top = opt('--top', 25);
const names = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--steps', '--top', '--ab'].includes(args[i - 1]!)));
const wanted = names.length > 0 ? names : ['finetune', 'small_cnn'];
const rounds = opt('--ab', 0);

async function make(name: string): Promise<Workload> {
    if (name === 'finetune') return finetune();
    if (name === 'small_cnn') return smallCnn();
    throw new Error(`unknown workload '${name}' (finetune, small_cnn)`);
}

if (args.includes('--child')) {
    await selectBackend('wasm', { threads: Number(process.env['GRAFT_WASM_THREADS'] ?? 1) });
    const out: Record<string, number> = {};
    for (const name of wanted) {
        const w = await make(name);
        const t = await stepTimes(w, steps);
        out[name] = (w.batch * 1000) / t.wall;
        out[`${name} (img/cpu-s)`] = (w.batch * 1000) / t.cpu;
    }
    console.log(JSON.stringify(out));
} else if (rounds > 0) {
    const self = fileURLToPath(import.meta.url);
    const ips: Record<'new' | 'baseline', Record<string, number[]>> = { new: {}, baseline: {} };
    for (let r = 0; r < rounds; r++) {
        for (const mode of ['new', 'baseline'] as const) {
            const child = spawnSync(process.execPath, ['--import', 'tsx', self, ...wanted, '--steps', String(steps), '--child'], {
                encoding: 'utf8',
                env: { ...process.env, GRAFT_WASM_BASELINE: mode === 'baseline' ? '1' : '0' }
            });
            const line = child.stdout.trim().split('\n').pop() ?? '';
            if (!line.startsWith('{')) throw new Error(`child failed: ${child.stderr}`);
            for (const [name, v] of Object.entries(JSON.parse(line) as Record<string, number>)) (ips[mode][name] ??= []).push(v);
        }
        process.stderr.write(`round ${r + 1}/${rounds} done\n`);
    }
    for (const name of wanted.flatMap((n) => [n, `${n} (img/cpu-s)`])) {
        const a = ips.new[name]!;
        const b = ips.baseline[name]!;
        const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
        console.log(`${name}: new ${median(a).toFixed(1)} [${fmt(a)}], baseline ${median(b).toFixed(1)} [${fmt(b)}], ${(median(a) / median(b)).toFixed(2)}x`);
    }
} else {
    const chosen = await selectBackend('wasm', { threads: Number(process.env['GRAFT_WASM_THREADS'] ?? 1) });
    console.log(chosen.detail + (process.env['GRAFT_WASM_BASELINE'] === '1' ? ' (baseline kernels)' : ''));
    for (const name of wanted) await run(await make(name), steps, top, args.includes('--by-shape'));
}
