import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
await selectBackend('wasm', { threads: 1 });
const x = tf.randomNormal([64, 28, 28, 1]) as tf.Tensor4D;
const dy = tf.randomNormal([64, 28, 28, 32]) as tf.Tensor4D;
const g = tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(tf.zeros([3, 3, 1, 32])));
console.log('after grad', x.isDisposed, (tf.engine() as any).state.tensorInfo.has(x.dataId));
const r = tf.tidy(() => tf.reshape(x, [1, 64, 28, 28]));
console.log('ok', r.shape);
import { padOrCrop } from '../src/runtime/backend/wasm-kernels/geometry.js';
for (let k = 0; k < 2; k++) {
  tf.tidy(() => { const xt = tf.reshape(x, [1, 64, 28, 28]); console.log('r', x.isDisposed); const p = padOrCrop(xt as tf.Tensor4D, 1, 1, 1, 1); console.log('p', (tf.engine() as any).state.tensorInfo.has(x.dataId));
    const s = tf.slice(p, [0, 0, 0, 0], [1, 64, 28, 28]); console.log('s', (tf.engine() as any).state.tensorInfo.has(x.dataId)); });
  console.log('after', (tf.engine() as any).state.tensorInfo.has(x.dataId));
}
