// Augmentation of training batches as tensor ops in the active backend (cpu and wasm both have
// every kernel used: Transform, Mean, Add/Mul, ClipByValue). All random draws come from our
// seeded PRNG, so a batch's augmentation depends only on (seed, epoch, batch index).
//
// Geometry (flip, rotate, zoom, shift, crop) is folded into ONE projective transform per image
// and applied with a single tf.image.transform (bilinear; borders filled with the nearest edge
// pixel like Keras' ImageDataGenerator — not 'reflect', which the wasm kernel of tfjs 4.22
// gets wrong for negative coordinates; per image on backends whose batched kernel is broken).
// Photometric changes (brightness, contrast) follow on [0,1] values, then clipping; noise is
// added last, after normalization, since the plan gives it in normalised units.

import * as tf from '@tensorflow/tfjs';
import type { AugmentPlan } from '../../core/plan/types.js';
import { gaussian, uniform, type Rng } from './prng.js';

export function hasGeometry(a: AugmentPlan): boolean {
    return !!(a.flip || a.rotate || a.zoom || a.shift || a.crop);
}

export function isEmptyAugment(a: AugmentPlan): boolean {
    return !hasGeometry(a) && !a.brightness && !a.contrast && !a.noise;
}

/**
 * The 8 parameters [a0,a1,a2,b0,b1,b2,0,0] that map an output pixel (x, y) to the input point
 * (a0·x + a1·y + a2, b0·x + b1·y + b2), as tf.image.transform expects.
 */
export function drawTransform(a: AugmentPlan, width: number, height: number, rng: Rng): number[] {
    const flipX = a.flip === 'horizontal' || a.flip === 'both' ? rng() < 0.5 : false;
    const flipY = a.flip === 'vertical' || a.flip === 'both' ? rng() < 0.5 : false;
    const theta = a.rotate ? (uniform(rng, -a.rotate, a.rotate) * Math.PI) / 180 : 0;
    const scale = a.zoom ? uniform(rng, 1 - a.zoom, 1 + a.zoom) : 1;
    const tx = a.shift ? uniform(rng, -a.shift, a.shift) * width : 0;
    const ty = a.shift ? uniform(rng, -a.shift, a.shift) * height : 0;
    // Crop: cut up to `crop` of each side, then stretch the rest back to full size.
    const [l, r, t, b] = a.crop ? [rng(), rng(), rng(), rng()].map((u) => u * a.crop!) : [0, 0, 0, 0];

    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    // Crop as a map output → intermediate: p = K·out + k0.
    const kx = 1 - l - r;
    const ky = 1 - t - b;
    const k0x = l * (width - 1);
    const k0y = t * (height - 1);
    // Content moves forward by C + T + s·R(θ)·F·(in − C); invert: in = L·(p − C − T) + C with
    // L = F·R(−θ)/s (F is its own inverse).
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const fx = flipX ? -1 : 1;
    const fy = flipY ? -1 : 1;
    const l00 = (fx * cos) / scale;
    const l01 = (fx * sin) / scale;
    const l10 = (fy * -sin) / scale;
    const l11 = (fy * cos) / scale;
    const px = k0x - cx - tx;
    const py = k0y - cy - ty;
    return [l00 * kx, l01 * ky, l00 * px + l01 * py + cx, l10 * kx, l11 * ky, l10 * px + l11 * py + cy, 0, 0];
}

// tfjs 4.22's cpu Transform kernel returns after the first image of a batch (the `return` sits
// inside its batch loop), leaving the others at the fill value. A 2-image probe per backend
// detects that; affected backends get one Transform call per image instead.
const transformBatchesOk = new Map<string, boolean>();

function batchedTransformWorks(): boolean {
    const backend = tf.getBackend();
    let ok = transformBatchesOk.get(backend);
    if (ok === undefined) {
        ok = tf.tidy(() => {
            const probe = tf.image.transform(tf.ones([2, 1, 2, 1]), tf.tensor2d([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], [2, 8]), 'nearest', 'constant');
            return probe.min().dataSync()[0] === 1;
        });
        transformBatchesOk.set(backend, ok);
    }
    return ok;
}

/**
 * tf.image.transform over a batch, correct on every backend. Flips alone map pixels to pixels,
 * so they use nearest-neighbour sampling: the same result, ~4× faster than bilinear on wasm.
 */
export function transformImages(x: tf.Tensor4D, transforms: number[], flipsOnly = false): tf.Tensor4D {
    const n = x.shape[0];
    const interpolation = flipsOnly ? 'nearest' : 'bilinear';
    return tf.tidy(() => {
        if (n === 1 || batchedTransformWorks()) return tf.image.transform(x, tf.tensor2d(transforms, [n, 8]), interpolation, 'nearest');
        const parts = tf.split(x, n, 0).map((img, i) => tf.image.transform(img as tf.Tensor4D, tf.tensor2d(transforms.slice(i * 8, i * 8 + 8), [1, 8]), interpolation, 'nearest'));
        return tf.concat(parts, 0);
    });
}

/** Augments a batch of [0,1] images. Returns a new tensor; the input is not disposed. */
export function augmentUnitBatch(x: tf.Tensor4D, a: AugmentPlan, rng: Rng): tf.Tensor4D {
    const [n, h, w] = x.shape;
    // Draw all parameters first, in a fixed order, so they do not depend on which ops run.
    const transforms: number[] = [];
    const bright: number[] = [];
    const contrast: number[] = [];
    for (let i = 0; i < n; i++) {
        if (hasGeometry(a)) transforms.push(...drawTransform(a, w, h, rng));
        if (a.brightness) bright.push(uniform(rng, -a.brightness, a.brightness));
        if (a.contrast) contrast.push(uniform(rng, Math.max(0, 1 - a.contrast), 1 + a.contrast));
    }
    return tf.tidy(() => {
        let y: tf.Tensor4D = x;
        if (hasGeometry(a)) {
            y = transformImages(y, transforms, !(a.rotate || a.zoom || a.shift || a.crop));
        }
        if (a.contrast) {
            const mean = y.mean([1, 2], true);
            y = y.sub(mean).mul(tf.tensor4d(contrast, [n, 1, 1, 1])).add(mean) as tf.Tensor4D;
        }
        if (a.brightness) y = y.add(tf.tensor4d(bright, [n, 1, 1, 1])) as tf.Tensor4D;
        if (a.brightness || a.contrast) y = y.clipByValue(0, 1) as tf.Tensor4D;
        return (y === x ? x.clone() : y) as tf.Tensor4D;
    });
}

/** Adds Gaussian noise with std `std` (normalised units), drawn from our PRNG. */
export function addNoise(x: tf.Tensor4D, std: number, rng: Rng): tf.Tensor4D {
    const values = new Float32Array(x.size);
    for (let i = 0; i < values.length; i++) values[i] = gaussian(rng) * std;
    return tf.tidy(() => x.add(tf.tensor(values, x.shape)) as tf.Tensor4D);
}
