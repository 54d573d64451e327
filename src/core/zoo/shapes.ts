// Output shape and parameter count of one layer from its class, config and input shapes — the
// arithmetic Keras and tfjs-layers do when they build a layer, done here without tfjs so that the
// language server can explain a backbone in microseconds. Channels-last throughout.

import type { LayerConfig, Shape } from './catalog-types.js';

export class ShapeError extends Error {}

export interface LayerShape {
    outputShape: Shape;
    params: number;
}

const elements = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/**
 * Floating-point operations of one layer for one image (inference), a multiply-add counting as
 * two: what `graft plan` reports as the cost of a backbone. Elementwise layers count one per
 * output element (BatchNorm two: scale and shift), pooling one per window element.
 */
export function layerFlops(className: string, config: LayerConfig, inputs: Shape[], output: LayerShape): number {
    const out = output.outputShape;
    const first = inputs[0] ?? [];
    switch (className) {
        case 'Conv2D': {
            const k = config.kernelSize ?? [1, 1];
            return 2 * k[0] * k[1] * (first[2] ?? 0) * elements(out);
        }
        case 'DepthwiseConv2D': {
            const k = config.kernelSize ?? [3, 3];
            return 2 * k[0] * k[1] * elements(out);
        }
        case 'SeparableConv2D': {
            const k = config.kernelSize ?? [3, 3];
            const depthwiseOut = (out[0] ?? 0) * (out[1] ?? 0) * (first[2] ?? 0) * (config.depthMultiplier ?? 1);
            return 2 * k[0] * k[1] * depthwiseOut + 2 * (first[2] ?? 0) * (config.depthMultiplier ?? 1) * elements(out);
        }
        case 'Dense':
            return 2 * (first[first.length - 1] ?? 0) * elements(out);
        case 'BatchNormalization':
            return 2 * elements(out);
        case 'MaxPooling2D':
        case 'AveragePooling2D': {
            const p = config.poolSize ?? [2, 2];
            return p[0] * p[1] * elements(out);
        }
        case 'GlobalAveragePooling2D':
        case 'GlobalMaxPooling2D':
            return elements(first);
        case 'InputLayer':
        case 'ZeroPadding2D':
        case 'Flatten':
        case 'Reshape':
        case 'Dropout':
            return 0;
        case 'Add':
            return Math.max(0, inputs.length - 1) * elements(out);
        default:
            return elements(out);
    }
}

function spatial(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
    return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

function need3d(className: string, input: Shape | undefined): [number, number, number] {
    if (!input || input.length !== 3) throw new ShapeError(`${className} needs an input of shape [height, width, channels], got [${input?.join(', ') ?? ''}]`);
    return [input[0], input[1], input[2]];
}

function windowed(className: string, input: Shape, kernel: [number, number], strides: [number, number], padding: 'same' | 'valid', channels: number): Shape {
    const [h, w] = need3d(className, input);
    const out = [spatial(h, kernel[0], strides[0], padding), spatial(w, kernel[1], strides[1], padding), channels];
    if (out[0] <= 0 || out[1] <= 0) {
        throw new ShapeError(`the input ${h}×${w} is too small for ${className} (kernel ${kernel.join('×')}, stride ${strides.join('×')}, padding ${padding})`);
    }
    return out;
}

/** Layer classes whose output has their (first) input's shape and that hold no weights. */
const PASS_THROUGH = new Set([
    'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout',
    'Rescaling', 'Normalization', 'RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation', 'RandomContrast',
    'Resizing', 'Lambda', 'TFOpLambda', 'Identity', 'ActivityRegularization', 'Masking'
]);

const MERGE = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

/**
 * Infers one layer. `inputs` are the shapes of the inbound layers (none for InputLayer, whose
 * shape is `inputShape`). Throws ShapeError with a message fit for a diagnostic.
 */
export function inferLayer(className: string, config: LayerConfig, inputs: Shape[], inputShape?: Shape): LayerShape {
    const first = inputs[0];
    switch (className) {
        case 'InputLayer':
            if (!inputShape) throw new ShapeError('InputLayer without a shape');
            return { outputShape: [...inputShape], params: 0 };
        case 'Conv2D': {
            const input = need3d(className, first);
            const k = config.kernelSize ?? [1, 1];
            const filters = config.filters ?? 1;
            const outputShape = windowed(className, input, k, config.strides ?? [1, 1], config.padding ?? 'valid', filters);
            return { outputShape, params: k[0] * k[1] * input[2] * filters + (config.useBias === false ? 0 : filters) };
        }
        case 'DepthwiseConv2D': {
            const input = need3d(className, first);
            const k = config.kernelSize ?? [3, 3];
            const out = input[2] * (config.depthMultiplier ?? 1);
            const outputShape = windowed(className, input, k, config.strides ?? [1, 1], config.padding ?? 'valid', out);
            return { outputShape, params: k[0] * k[1] * out + (config.useBias === false ? 0 : out) };
        }
        case 'SeparableConv2D': {
            const input = need3d(className, first);
            const k = config.kernelSize ?? [3, 3];
            const dm = config.depthMultiplier ?? 1;
            const filters = config.filters ?? 1;
            const outputShape = windowed(className, input, k, config.strides ?? [1, 1], config.padding ?? 'valid', filters);
            return { outputShape, params: k[0] * k[1] * input[2] * dm + input[2] * dm * filters + (config.useBias === false ? 0 : filters) };
        }
        case 'BatchNormalization': {
            if (!first || first.length === 0) throw new ShapeError('BatchNormalization needs an input');
            // gamma, beta, moving mean and moving variance: Keras counts all four.
            return { outputShape: [...first], params: 4 * first[first.length - 1] };
        }
        case 'ZeroPadding2D': {
            const [h, w, c] = need3d(className, first);
            const p = config.pad ?? [[1, 1], [1, 1]];
            return { outputShape: [h + p[0][0] + p[0][1], w + p[1][0] + p[1][1], c], params: 0 };
        }
        case 'MaxPooling2D':
        case 'AveragePooling2D': {
            const input = need3d(className, first);
            const pool = config.poolSize ?? [2, 2];
            return { outputShape: windowed(className, input, pool, config.strides ?? pool, config.padding ?? 'valid', input[2]), params: 0 };
        }
        case 'GlobalAveragePooling2D':
        case 'GlobalMaxPooling2D':
            return { outputShape: [need3d(className, first)[2]], params: 0 };
        case 'Flatten':
            if (!first) throw new ShapeError('Flatten needs an input');
            return { outputShape: [first.reduce((a, b) => a * b, 1)], params: 0 };
        case 'Dense': {
            if (!first || first.length === 0) throw new ShapeError('Dense needs an input');
            const units = config.units ?? 1;
            const fanIn = first[first.length - 1];
            return { outputShape: [...first.slice(0, -1), units], params: fanIn * units + (config.useBias === false ? 0 : units) };
        }
        case 'Concatenate': {
            if (inputs.length === 0) throw new ShapeError('Concatenate needs inputs');
            const channels = inputs.reduce((sum, s) => sum + s[s.length - 1], 0);
            return { outputShape: [...first.slice(0, -1), channels], params: 0 };
        }
    }
    if (MERGE.has(className)) {
        if (inputs.length < 2) throw new ShapeError(`${className} needs at least two inputs`);
        const key = first.join('×');
        const other = inputs.find((s) => s.join('×') !== key);
        if (other) throw new ShapeError(`${className} inputs differ in shape: ${key} and ${other.join('×')}`);
        return { outputShape: [...first], params: 0 };
    }
    if (PASS_THROUGH.has(className) && first) return { outputShape: [...first], params: 0 };
    // An unrecognised class: assume it keeps its input's shape; model.json readers override
    // the parameter count from the weights manifest anyway.
    return { outputShape: first ? [...first] : [], params: 0 };
}
