import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { padOrCrop } from '../src/runtime/backend/wasm-kernels/geometry.js';
import { median } from './backend-nets.js';
await selectBackend('wasm', { threads: 1 });
// im2col: colsT [cin*9, n*oh*ow] · dy [n*oh*ow, cout]
function im2col(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, cin] = x.shape; const cout = dy.shape[3];
  const xt = cin === 1 ? tf.reshape(x, [1, n, h, w]) : tf.transpose(x, [3, 0, 1, 2]);
  const p = tf.pad(xt, [[0, 0], [0, 0], [1, 1], [1, 1]]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) taps.push(tf.slice(p, [0, 0, i, j], [cin, n, h, w]));
  const cols = tf.reshape(tf.stack(taps, 1), [cin * 9, n * h * w]);
  const g = tf.matMul(cols as tf.Tensor2D, tf.reshape(dy, [n * h * w, cout]) as tf.Tensor2D);
  return tf.transpose(tf.reshape(g, [cin, 3, 3, cout]), [1, 2, 0, 3]);
}
function im2colB(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  // dW^T [cout, 9cin] = dyT [cout, K] · cols [K, 9cin]
  const [n, h, w, cin] = x.shape; const cout = dy.shape[3];
  const p = padOrCrop(x, 1, 1, 1, 1);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) taps.push(tf.slice(p, [0, i, j, 0], [n, h, w, cin]));
  const cols = tf.reshape(tf.concat(taps, 3), [n * h * w, 9 * cin]);
  const dyT = tf.reshape(tf.transpose(dy, [3, 0, 1, 2]), [cout, n * h * w]);
  const g = tf.matMul(dyT as tf.Tensor2D, cols as tf.Tensor2D); // [cout, 9cin]
  return tf.transpose(tf.reshape(g, [cout, 3, 3, cin]), [1, 2, 3, 0]);
}
for (const [n, s, cin, cout] of [[64, 28, 1, 32], [64, 14, 32, 64], [64, 7, 64, 128], [16, 14, 32, 64]]) {
  const x = tf.randomNormal([n, s, s, cin]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, s, s, cout]) as tf.Tensor4D;
  const ref = tf.conv2dBackpropFilter ? null : null;
  const cur = () => tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(tf.zeros([3, 3, cin, cout])));
  const fns: Record<string, () => tf.Tensor> = { cur, A: () => tf.tidy(() => im2col(x, dy)), B: () => tf.tidy(() => im2colB(x, dy)) };
  console.log("x"); const a = fns["cur"]!(); console.log("a"); const b = fns["A"]!(); console.log("b"); const c = cin > 1 ? fns["B"]!() : a; if (cin === 1) delete fns["B"];
  const err = (u: tf.Tensor) => tf.max(tf.abs(tf.sub(u, a))).dataSync()[0]! / tf.max(tf.abs(a)).dataSync()[0]!;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, [] as number[]]));
  for (let r = 0; r < 7; r++) for (const k of Object.keys(fns)) { const t0 = performance.now(); const o = fns[k]!(); o.dataSync(); times[k]!.push(performance.now() - t0); }
  console.log(n, s, cin, cout, Object.entries(times).map(([k, v]) => `${k} ${median(v).toFixed(1)}ms`).join('  '), 'errA', err(b).toExponential(1), 'errB', err(c).toExponential(1));
}
