// The gradient of Mean (global average pooling, loss averages) without a tensor of ones.
// tfjs computes dx = (reshape(dy) * ones(x.shape)) / n: it fills a JavaScript array of x's size
// with ones, uploads it to the heap, then runs two whole-size kernels. For a pooled 3x3x1280
// MobileNetV2 batch of 32 that is 368,640 ones every step; on small_cnn the ones alone were
// ≈0.4 ms of a 20 ms step (a CPU profile of bench/profile-train.ts small_cnn).
// Here dy is divided first (one kernel on the small, reduced tensor) and then tiled out to x's
// shape (one pass): (dy / n) repeated is bit for bit (dy * 1) / n repeated, so every backend may
// use it and results do not change.
import * as tf from '@tensorflow/tfjs';
import { overrideGradient } from '../gradient-override.js';

let registered = false;

export function registerMeanGrad(): void {
    if (registered) return;
    registered = overrideGradient('Mean', (original) => (dy, saved, attrs) => {
        const [x] = saved as [tf.Tensor];
        const g = dy as tf.Tensor;
        const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
        const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
        if (g.dtype !== 'float32' || g.size * count !== x.size) return original(dy, saved, attrs);
        const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
        return { x: () => tf.tile(tf.reshape(tf.div(g, count), expanded), reps) };
    });
}
