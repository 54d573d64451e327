import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { TensorFeed } from '../src/runtime/train/feed.js';
import { GroupOptimizer } from '../src/runtime/train/optimizers.js';
import { crossentropy } from '../src/runtime/train/losses.js';
await selectBackend('wasm', { threads: 1 });
const n = 5000, B = Number(process.argv[2] ?? 32);
const feed = new TensorFeed(tf.randomNormal([n, 1280]), [tf.oneHot(tf.randomUniform([n], 0, 10, 'int32'), 10) as tf.Tensor2D], tf);
const input = tf.input({ shape: [1280] });
const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(input) as tf.SymbolicTensor });
const opt = new GroupOptimizer({ kind: 'adam', lr: 1e-3 } as never, undefined);
const groups = { head: model.trainableWeights.map((w) => w.read() as tf.Variable), backbone: [] };
async function epoch(e: number, mode: string) {
  const t0 = performance.now(); let tb = 0, ts = 0, td = 0;
  let t = performance.now();
  for await (const batch of feed.batches(B, { shuffle: true, augment: true, seed: 1, epoch: e })) {
    tb += performance.now() - t; t = performance.now();
    if (mode !== 'noimm') await new Promise<void>((r) => setImmediate(r));
    let hits: tf.Scalar | undefined;
    const value = opt.step(groups, () => {
      const logits = model.apply(batch.x, { training: true }) as tf.Tensor2D;
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.labels[0], 1)), 'float32')) as tf.Scalar);
      return crossentropy({ logits, labels: batch.labels[0] }, 0.1);
    });
    ts += performance.now() - t; t = performance.now();
    await value.data(); await hits!.data();
    tf.dispose([value, hits!, batch.x, ...batch.labels]);
    td += performance.now() - t; t = performance.now();
  }
  return { s: (performance.now() - t0) / 1000, batchMs: tb, stepMs: ts, syncMs: td, tensors: tf.memory().numTensors };
}
for (let e = 0; e < 3; e++) console.log(JSON.stringify(await epoch(e, process.argv[3] ?? '')));
