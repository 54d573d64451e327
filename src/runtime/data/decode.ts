// Decoding and resizing to the plan's image size with sharp: JPEG, PNG, WebP, GIF (first frame),
// TIFF, AVIF; EXIF orientation applied; alpha flattened onto black; grayscale↔RGB converted.
// Output: interleaved HWC uint8, exactly height*width*channels bytes.

import sharp from 'sharp';
import type { SampleSource } from './types.js';

export interface ImageShape {
    height: number;
    width: number;
    channels: 1 | 3;
}

/** Converts interleaved pixels between channel counts (1, 2, 3, 4 → 1 or 3). */
export function convertChannels(src: Uint8Array, pixels: number, from: number, to: 1 | 3): Uint8Array {
    if (from === to) return src;
    const out = new Uint8Array(pixels * to);
    for (let p = 0; p < pixels; p++) {
        const s = p * from;
        if (to === 3) {
            const gray = from < 3;
            out[p * 3] = src[s];
            out[p * 3 + 1] = gray ? src[s] : src[s + 1];
            out[p * 3 + 2] = gray ? src[s] : src[s + 2];
        } else {
            // ITU-R BT.601 luma, as libvips and PIL use.
            out[p] = from < 3 ? src[s] : Math.round(0.299 * src[s] + 0.587 * src[s + 1] + 0.114 * src[s + 2]);
        }
    }
    return out;
}

function pipeline(img: sharp.Sharp, shape: ImageShape): sharp.Sharp {
    // `fill` stretches to the target size like Keras' load_img(target_size): nothing is cropped away.
    img = img.resize(shape.width, shape.height, { fit: 'fill' });
    img = shape.channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    return img.raw();
}

/** Decodes one sample to `shape`. Throws with libvips' message when the file is not decodable. */
export async function decodeSample(source: SampleSource, shape: ImageShape): Promise<Uint8Array> {
    const bytes = shape.height * shape.width * shape.channels;
    let data: Buffer;
    let info: sharp.OutputInfo;
    if (source.kind === 'raw') {
        if (source.width === shape.width && source.height === shape.height) {
            return new Uint8Array(convertChannels(source.pixels, shape.width * shape.height, source.channels, shape.channels));
        }
        const input = sharp(source.pixels, { raw: { width: source.width, height: source.height, channels: source.channels as 1 | 3 | 4 } });
        ({ data, info } = await pipeline(input, shape).toBuffer({ resolveWithObject: true }));
    } else {
        // autoOrient applies the EXIF rotation; flatten drops alpha onto black (a no-op without alpha).
        const input = sharp(source.path, { sequentialRead: true, pages: 1 }).autoOrient().flatten({ background: '#000000' });
        ({ data, info } = await pipeline(input, shape).toBuffer({ resolveWithObject: true }));
    }
    let out = new Uint8Array(data.buffer, data.byteOffset, data.length);
    // libvips may keep a channel count we did not ask for (e.g. a 1-channel result of srgb on some
    // palettes); convert in JS rather than trusting it.
    if (info.channels !== shape.channels) out = convertChannels(out, shape.width * shape.height, info.channels, shape.channels);
    if (out.length !== bytes) throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${shape.width}x${shape.height}x${shape.channels}`);
    return out;
}
