// Convolutions on oneDNN: forward (with bias and activation fused), the input gradient and the
// filter gradient, for ordinary and depthwise filters, NHWC, as tfjs' kernels define them.
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { registerNative, type NativeKernelFunc } from './register.js';
import { withOutput } from './run-native.js';
import { allFloat32 } from './wasm-heap.js';

const FORWARD = 0;
const BACKPROP_INPUT = 1;
const BACKPROP_FILTER = 2;

/** tfjs' fused activations that the addon applies (prelu is not among them: it falls back). */
export const ACTIVATION_CODES: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5 };

function geometry(info: tf.backend_util.Conv2DInfo, depthwise: boolean, act: number, hasBias: boolean): Int32Array {
    const p = info.padInfo;
    return Int32Array.from([
        info.batchSize,
        info.inHeight,
        info.inWidth,
        info.inChannels,
        info.filterHeight,
        info.filterWidth,
        info.outChannels,
        info.outHeight,
        info.outWidth,
        info.strideHeight,
        info.strideWidth,
        p.top,
        p.left,
        p.bottom,
        p.right,
        info.dilationHeight,
        info.dilationWidth,
        depthwise ? info.inChannels : 1,
        act,
        hasBias ? 1 : 0
    ]);
}

function channelsLast(attrs: tf.NamedAttrMap): boolean {
    const format = attrs['dataFormat'];
    return format === undefined || format === 'NHWC' || format === 'channelsLast';
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

function convInfo(
    inShape: number[],
    filterShape: number[],
    attrs: tf.NamedAttrMap,
    depthwise: boolean
): tf.backend_util.Conv2DInfo {
    return tf.backend_util.computeConv2DInfo(
        inShape as [number, number, number, number],
        filterShape as [number, number, number, number],
        attrs['strides'] as [number, number] | number,
        (attrs['dilations'] as [number, number] | number | undefined) ?? 1,
        attrs['pad'] as Pad as 'same',
        attrs['dimRoundingMode'] as 'floor' | undefined,
        depthwise
    );
}

function forward(addon: NativeAddon, depthwise: boolean, fused: boolean): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (x === undefined || filter === undefined || !channelsLast(attrs) || !allFloat32([x, filter, bias])) return undefined;
        const activation = fused ? String(attrs['activation'] ?? 'linear') : 'linear';
        const act = ACTIVATION_CODES[activation];
        if (act === undefined || preluActivationWeights !== undefined) return undefined;
        const info = convInfo(x.shape, filter.shape, attrs, depthwise);
        if (bias !== undefined && tf.util.sizeFromShape(bias.shape) !== info.outChannels) return undefined;
        const alpha = Number(attrs['leakyreluAlpha'] ?? 0.2);
        const g = geometry(info, depthwise, act, bias !== undefined);
        return withOutput(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], [x, filter, bias], (heap, off) =>
            addon.conv(heap, g, off, FORWARD, alpha)
        );
    };
}

function backpropInput(addon: NativeAddon, depthwise: boolean): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { dy, filter } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (dy === undefined || filter === undefined || !channelsLast(attrs) || !allFloat32([dy, filter])) return undefined;
        const inShape = attrs['inputShape'] as number[];
        const info = convInfo(inShape, filter.shape, attrs, depthwise);
        const g = geometry(info, depthwise, 0, false);
        // conv(heap, geometry, [x, filter, bias, y]): here x is the output (dx) and y is dy.
        return withOutput(backend, inShape, [filter, dy], (heap, off) =>
            addon.conv(heap, g, Float64Array.from([off[2]!, off[0]!, -1, off[1]!]), BACKPROP_INPUT, 0)
        );
    };
}

function backpropFilter(addon: NativeAddon, depthwise: boolean): NativeKernelFunc {
    return ({ inputs, attrs, backend }) => {
        const { x, dy } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (x === undefined || dy === undefined || !channelsLast(attrs) || !allFloat32([x, dy])) return undefined;
        const filterShape = attrs['filterShape'] as number[];
        const info = convInfo(x.shape, filterShape, attrs, depthwise);
        const g = geometry(info, depthwise, 0, false);
        return withOutput(backend, filterShape, [x, dy], (heap, off) =>
            addon.conv(heap, g, Float64Array.from([off[0]!, off[2]!, -1, off[1]!]), BACKPROP_FILTER, 0)
        );
    };
}

export const NATIVE_CONV_KERNELS = [
    'Conv2D',
    'FusedConv2D',
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'DepthwiseConv2dNative',
    'FusedDepthwiseConv2D',
    'DepthwiseConv2dNativeBackpropInput',
    'DepthwiseConv2dNativeBackpropFilter'
] as const;

export function registerNativeConv(addon: NativeAddon): void {
    registerNative('Conv2D', forward(addon, false, false));
    registerNative('FusedConv2D', forward(addon, false, true));
    registerNative('Conv2DBackpropInput', backpropInput(addon, false));
    registerNative('Conv2DBackpropFilter', backpropFilter(addon, false));
    registerNative('DepthwiseConv2dNative', forward(addon, true, false));
    registerNative('FusedDepthwiseConv2D', forward(addon, true, true));
    registerNative('DepthwiseConv2dNativeBackpropInput', backpropInput(addon, true));
    registerNative('DepthwiseConv2dNativeBackpropFilter', backpropFilter(addon, true));
}
