import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { TensorFeed, type Batch, type BatchOptions, type SplitFeed } from '../src/runtime/train/feed.js';
import { GroupOptimizer } from '../src/runtime/train/optimizers.js';
import { crossentropy } from '../src/runtime/train/losses.js';
await selectBackend('wasm', { threads: 1 });
const n = 5000, B = Number(process.argv[2] ?? 32);
const X = tf.randomNormal([n, 1280]); const Y = tf.oneHot(tf.randomUniform([n], 0, 10, 'int32'), 10) as tf.Tensor2D;
const feed = new TensorFeed(X, [Y], tf);
// The previous TensorFeed.batches: one index tensor and gathers per batch.
class OldFeed implements SplitFeed {
  size = n;
  async *batches(batchSize: number, o: BatchOptions): AsyncIterable<Batch> {
    const order = Array.from({ length: n }, (_, i) => i);
    let s = (o.seed * 2654435761 + o.epoch * 40503 + 1) >>> 0;
    const rand = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    for (let start = 0; start < n; start += batchSize) {
      const idx = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
      const batch: Batch = { x: tf.gather(X, idx) as tf.Tensor4D, labels: [tf.gather(Y, idx)] };
      idx.dispose(); yield batch;
    }
  }
}
const old = new OldFeed();
// equality check of batch contents
{ const a: number[][] = [], b: number[][] = [];
  for await (const bt of feed.batches(B, { shuffle: true, augment: false, seed: 3, epoch: 2 })) { a.push(Array.from(bt.x.dataSync().slice(0, 5))); tf.dispose([bt.x, ...bt.labels]); }
  for await (const bt of old.batches(B, { shuffle: true, augment: false, seed: 3, epoch: 2 })) { b.push(Array.from(bt.x.dataSync().slice(0, 5))); tf.dispose([bt.x, ...bt.labels]); }
  console.log('same batches:', JSON.stringify(a) === JSON.stringify(b), a.length); }
const input = tf.input({ shape: [1280] });
const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(input) as tf.SymbolicTensor });
const opt = new GroupOptimizer({ kind: 'adam', lr: 1e-3 } as never, undefined);
const groups = { head: model.trainableWeights.map((w) => w.read() as tf.Variable), backbone: [] };
// The trainer's per-step body (trainer.ts), on a 1280 -> 10 dense head.
async function epoch(f: SplitFeed, e: number) {
  const t0 = performance.now(); let tb = 0; let t = performance.now();
  for await (const batch of f.batches(B, { shuffle: true, augment: true, seed: 1, epoch: e })) {
    tb += performance.now() - t;
    await new Promise<void>((r) => setImmediate(r));
    let hits: tf.Scalar | undefined;
    const value = opt.step(groups, () => {
      const logits = model.apply(batch.x, { training: true }) as tf.Tensor2D;
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.labels[0], 1)), 'float32')) as tf.Scalar);
      return crossentropy({ logits, labels: batch.labels[0] }, 0.1);
    });
    await value.data(); await hits!.data();
    tf.dispose([value, hits!, batch.x, ...batch.labels]);
    t = performance.now();
  }
  return [(performance.now() - t0) / 1000, tb / 1000];
}
const res: Record<string, number[][]> = { old: [], new: [] };
for (let e = 0; e < 8; e++) { res.old.push(await epoch(old, e)); res.new.push(await epoch(feed, e)); }
const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const k of ['old', 'new']) console.log(k, 'epoch s median', med(res[k].slice(1).map(r => r[0])).toFixed(3), 'feed s median', med(res[k].slice(1).map(r => r[1])).toFixed(3), 'all', res[k].map(r => r[0].toFixed(2)).join(' '));
console.log('tensors', tf.memory().numTensors);
