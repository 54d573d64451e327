import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/runtime/backend/select.js';
import { setIm2colLimit } from '../src/runtime/backend/wasm-kernels/conv2d-backprop-filter.js';
import { median } from './backend-nets.js';
await selectBackend('wasm', { threads: Number(process.argv[2] ?? 1) });
for (const [n, s, cin, cout] of [[64, 28, 1, 32], [64, 14, 32, 64], [64, 7, 64, 128], [16, 14, 32, 64]]) {
  const x = tf.randomNormal([n, s, s, cin]) as tf.Tensor4D;
  const dy = tf.randomNormal([n, s, s, cout]) as tf.Tensor4D;
  const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', filterShape: [3, 3, cin, cout], dataFormat: 'NHWC' } as any) as tf.Tensor;
  const times: Record<string, number[]> = { im2col: [], conv: [] };
  for (let r = 0; r < 9; r++) for (const k of ['im2col', 'conv']) { setIm2colLimit(k === 'conv' ? 0 : undefined); const c0 = process.cpuUsage(); const o = run(); o.dataSync(); const c = process.cpuUsage(c0); times[k]!.push((c.user + c.system) / 1000); o.dispose(); }
  console.log(n, s, cin, cout, Object.entries(times).map(([k, v]) => `${k} ${median(v).toFixed(1)}ms`).join('  '));
}
