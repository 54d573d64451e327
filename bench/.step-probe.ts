import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { TensorFeed } from "../src/runtime/train/feed.js";
import { crossentropy } from '../src/runtime/train/losses.js';
await selectBackend('wasm', { threads: 1 });
const n = 5000, B = 32;
const feed = new TensorFeed(tf.randomNormal([n, 1280]), [tf.oneHot(tf.randomUniform([n], 0, 10, 'int32'), 10) as tf.Tensor2D], tf);
const input = tf.input({ shape: [1280] });
const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(input) as tf.SymbolicTensor });
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const acc: Record<string, number> = { feed: 0, immediate: 0, grads: 0, adam: 0, read: 0 };
let kernels = 0;
for (let e = 0; e < 4; e++) {
  for (const k in acc) acc[k] = 0;
  let c = cpu(); const t0 = performance.now(); const c0 = c;
  const lap = (k: string) => { const now = cpu(); acc[k] += now - c; c = now; };
  for await (const batch of feed.batches(B, { shuffle: true, augment: false, seed: 1, epoch: e })) {
    lap('feed');
    await new Promise<void>((r) => setImmediate(r)); lap('immediate');
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(batch.x, { training: true }) as tf.Tensor2D;
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.labels[0], 1)), 'float32')) as tf.Scalar);
      return crossentropy({ logits, labels: batch.labels[0] }, 0.1);
    }, vars); lap('grads');
    opt.applyGradients(grads); tf.dispose(Object.values(grads)); lap('adam');
    await value.data(); await hits!.data(); tf.dispose([value, hits!, batch.x, ...batch.labels]); lap('read');
  }
  console.log(`epoch ${e}: wall ${((performance.now() - t0) / 1000).toFixed(3)} s, cpu ${((cpu() - c0) / 1000).toFixed(3)} s, per step cpu ms:`, Object.entries(acc).map(([k, v]) => `${k} ${(v / 157).toFixed(2)}`).join(', '));
}
const p = await tf.profile(async () => { for await (const batch of feed.batches(B, { shuffle: true, augment: false, seed: 1, epoch: 9 })) { const { value, grads } = tf.variableGrads(() => crossentropy({ logits: model.apply(batch.x, { training: true }) as tf.Tensor2D, labels: batch.labels[0] }, 0.1), vars); opt.applyGradients(grads); tf.dispose([value, ...Object.values(grads), batch.x, ...batch.labels]); break; } });
console.log('kernels in one step (grads + adam, no hits):', p.kernels.length);
