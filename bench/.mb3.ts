import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { median } from './backend-nets.js';
await selectBackend('wasm', { threads: 1 });
for (const [n, s, cin, cout] of [[64, 14, 32, 64], [64, 7, 64, 128]]) {
  const x = tf.randomNormal([n, s, s, cin]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, s, s, cout]) as tf.Tensor4D;
  const cols = tf.randomNormal([cin * 9, n * s * s]) as tf.Tensor2D;
  const colsB = tf.randomNormal([n * s * s, cin * 9]) as tf.Tensor2D;
  const dy2 = tf.reshape(dy, [n * s * s, cout]) as tf.Tensor2D;
  const dyT = tf.randomNormal([cout, n * s * s]) as tf.Tensor2D;
  const fns: Record<string, () => tf.Tensor> = {
    build: () => tf.tidy(() => { const p = tf.pad(tf.transpose(x, [3, 0, 1, 2]), [[0, 0], [0, 0], [1, 1], [1, 1]]); const t: tf.Tensor[] = []; for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) t.push(tf.slice(p, [0, 0, i, j], [cin, n, s, s])); return tf.stack(t, 1); }),
    mmA: () => tf.matMul(cols, dy2),
    mmA_T: () => tf.matMul(colsB, dy2, true, false),
    mmB: () => tf.matMul(dyT, colsB),
    mmAt: () => tf.transpose(tf.matMul(dyT, colsB)),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, [] as number[]]));
  for (let r = 0; r < 7; r++) for (const k of Object.keys(fns)) { const t0 = performance.now(); const o = fns[k]!(); o.dataSync(); times[k]!.push(performance.now() - t0); o.dispose(); }
  console.log(n, s, cin, cout, Object.entries(times).map(([k, v]) => `${k} ${median(v).toFixed(1)}ms`).join('  '));
}
