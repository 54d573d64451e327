// Normalization presets: unit [0,1] · symmetric [-1,1] · imagenet (per-channel mean/std on
// [0,1] values) · none (raw 0..255). Applied in JS when a batch needs no augmentation, else as
// tensor ops after augmentation (which works on [0,1] values).

import * as tf from '@tensorflow/tfjs';
import type { Normalize } from '../../core/plan/types.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
// One grey channel: the mean of the RGB statistics, the usual choice for grayscale ImageNet models.
const GRAY_MEAN = 0.449;
const GRAY_STD = 0.226;

/** y = x·scale[c] + offset[c] for a value x in 0..255, per channel. */
export function affineFor(normalize: Normalize, channels: 1 | 3): { scale: number[]; offset: number[] } {
    switch (normalize) {
        case 'unit':
            return { scale: Array(channels).fill(1 / 255), offset: Array(channels).fill(0) };
        case 'symmetric':
            return { scale: Array(channels).fill(2 / 255), offset: Array(channels).fill(-1) };
        case 'none':
            return { scale: Array(channels).fill(1), offset: Array(channels).fill(0) };
        case 'imagenet': {
            const mean = channels === 3 ? IMAGENET_MEAN : [GRAY_MEAN];
            const std = channels === 3 ? IMAGENET_STD : [GRAY_STD];
            return { scale: std.map((s) => 1 / (255 * s)), offset: mean.map((m, c) => -m / std[c]) };
        }
    }
}

/** Writes normalised values of `px` (HWC uint8) into `out` at `offset`. */
export function normalizeInto(px: Uint8Array, out: Float32Array, offset: number, normalize: Normalize, channels: 1 | 3): void {
    affineInto(px, out, offset, affineFor(normalize, channels), channels);
}

/** Writes px·scale[c] + offset[c] of `px` (HWC uint8) into `out` at `at`: a preset spelled out (affineFor), e.g. read from an exported model's graft-model.json. */
export function affineInto(px: Uint8Array, out: Float32Array, at: number, affine: { scale: number[]; offset: number[] }, channels: 1 | 3): void {
    const { scale, offset: add } = affine;
    if (channels === 1) {
        const s = scale[0];
        const a = add[0];
        for (let i = 0; i < px.length; i++) out[at + i] = px[i] * s + a;
        return;
    }
    for (let i = 0; i < px.length; i += 3) {
        out[at + i] = px[i] * scale[0] + add[0];
        out[at + i + 1] = px[i + 1] * scale[1] + add[1];
        out[at + i + 2] = px[i + 2] * scale[2] + add[2];
    }
}

/** Maps [0,1] images to the preset (the tensor twin of normalizeInto). */
export function normalizeUnitTensor(x: tf.Tensor4D, normalize: Normalize, channels: 1 | 3): tf.Tensor4D {
    return tf.tidy(() => {
        const { scale, offset } = affineFor(normalize, channels);
        // affineFor works on 0..255 inputs; x is in [0,1], so scale by 255.
        return x.mul(tf.tensor1d(scale.map((s) => s * 255))).add(tf.tensor1d(offset)) as tf.Tensor4D;
    });
}
