// The single catalog of zoo architectures: what each offers (alphas, filters, default input) and
// its full layer graph with Keras names and blocks. The language server reads it for validation,
// completion and hover; the runtime builds exactly these layers (build.ts). Pure TypeScript, no
// tfjs, so that loading it costs nothing.

import type { BackboneDescription, ZooArch } from './catalog-types.js';
import { ZOO_ARCHS } from './catalog-types.js';
import { describeGraph, ZooError, type LayerNode } from './graph.js';
import { mobilenetV1, MOBILENET_V1_OUTPUT, mobilenetV2, MOBILENET_V2_OUTPUT } from './archs/mobilenet.js';
import { resnet18, RESNET18_OUTPUT, resnet50, RESNET50_OUTPUT } from './archs/resnet.js';
import { smallCnn, smallCnnOutput, vgg16, VGG16_OUTPUT } from './archs/plain.js';

export { ZooError } from './graph.js';
export { ZOO_ARCHS } from './catalog-types.js';

export interface ZooInfo {
    /** The width multipliers the architecture offers (MobileNets only). */
    alphas?: number[];
    defaultAlpha?: number;
    /** small_cnn: filters per block when `filters` is not given. */
    defaultFilters?: number[];
    /** [height, width, channels] the architecture is usually trained at. */
    defaultInput: [number, number, number];
    summary: string;
}

export const ZOO_INFO: Record<ZooArch, ZooInfo> = {
    small_cnn: {
        defaultFilters: [32, 64, 128],
        defaultInput: [32, 32, 3],
        summary: 'A small CNN: per filter count one block of 3×3 conv → BatchNorm → relu → max-pool 2.'
    },
    mobilenet_v1: {
        alphas: [0.25, 0.5, 0.75, 1.0],
        defaultAlpha: 1.0,
        defaultInput: [224, 224, 3],
        summary: 'MobileNet v1 (Howard et al. 2017): depthwise-separable convolutions, 13 blocks, Keras names.'
    },
    mobilenet_v2: {
        alphas: [0.35, 0.5, 0.75, 1.0, 1.3, 1.4],
        defaultAlpha: 1.0,
        defaultInput: [224, 224, 3],
        summary: 'MobileNet v2 (Sandler et al. 2018): inverted residual blocks expanded_conv, block_1 … block_16, Keras names.'
    },
    resnet18: {
        defaultInput: [224, 224, 3],
        summary: 'ResNet18 (He et al. 2016): basic residual blocks conv2_block1 … conv5_block2, Keras ResNet naming.'
    },
    resnet50: {
        defaultInput: [224, 224, 3],
        summary: 'ResNet50 (He et al. 2016): bottleneck blocks conv2_block1 … conv5_block3, Keras names.'
    },
    vgg16: {
        defaultInput: [224, 224, 3],
        summary: 'VGG16 (Simonyan & Zisserman 2014): 13 3×3 convolutions in blocks block1 … block5, Keras names.'
    }
};

export interface DescribeZooOptions {
    alpha?: number;
    filters?: number[];
    /** [height, width, channels]. */
    inputShape: number[];
    cutAt?: string;
}

export function isZooArch(name: string): name is ZooArch {
    return (ZOO_ARCHS as readonly string[]).includes(name);
}

/** `mobilenet_v2 α0.35`, `small_cnn [32, 64]`, `resnet50`. */
export function zooLabel(arch: ZooArch, alpha?: number, filters?: readonly number[]): string {
    if (ZOO_INFO[arch].alphas) return `${arch} α${alpha ?? ZOO_INFO[arch].defaultAlpha}`;
    if (arch === 'small_cnn') return `${arch} [${(filters ?? ZOO_INFO.small_cnn.defaultFilters!).join(', ')}]`;
    return arch;
}

function checkOptions(arch: ZooArch, opts: DescribeZooOptions): void {
    const info = ZOO_INFO[arch];
    if (opts.alpha !== undefined) {
        if (!info.alphas) throw new ZooError(`${arch} has no alpha (only mobilenet_v1 and mobilenet_v2 do)`);
        if (!info.alphas.includes(opts.alpha)) throw new ZooError(`${arch} offers alpha ${info.alphas.join(', ')}, not ${opts.alpha}`);
    }
    if (opts.filters !== undefined) {
        if (arch !== 'small_cnn') throw new ZooError(`${arch} has no filters (only small_cnn does)`);
        if (opts.filters.length === 0) throw new ZooError('small_cnn needs at least one filter count');
        const bad = opts.filters.find((f) => !Number.isInteger(f) || f < 1);
        if (bad !== undefined) throw new ZooError(`small_cnn filter counts must be positive integers, not ${bad}`);
    }
    const shape = opts.inputShape;
    if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new ZooError(`the input shape must be [height, width, channels] of positive integers, not [${shape.join(', ')}]`);
    }
}

function graphOf(arch: ZooArch, alpha: number, filters: number[], inputShape: number[]): { nodes: LayerNode[]; output: string } {
    switch (arch) {
        case 'small_cnn':
            return { nodes: smallCnn(filters), output: smallCnnOutput(filters) };
        case 'mobilenet_v1':
            return { nodes: mobilenetV1(alpha), output: MOBILENET_V1_OUTPUT };
        case 'mobilenet_v2':
            return { nodes: mobilenetV2(alpha, inputShape), output: MOBILENET_V2_OUTPUT };
        case 'resnet18':
            return { nodes: resnet18(), output: RESNET18_OUTPUT };
        case 'resnet50':
            return { nodes: resnet50(), output: RESNET50_OUTPUT };
        case 'vgg16':
            return { nodes: vgg16(), output: VGG16_OUTPUT };
    }
}

/**
 * The layers of a zoo backbone for an input shape, cut at `cutAt` (default: the architecture's
 * feature output). Throws ZooError (a message fit for a diagnostic) for options the architecture
 * does not offer, an unknown `cutAt` layer, or an input too small for the network.
 */
export function describeZoo(arch: ZooArch, opts: DescribeZooOptions): BackboneDescription {
    if (!isZooArch(arch)) throw new ZooError(`unknown architecture "${String(arch)}"; the zoo has ${ZOO_ARCHS.join(', ')}`);
    checkOptions(arch, opts);
    const info = ZOO_INFO[arch];
    const alpha = info.alphas ? (opts.alpha ?? info.defaultAlpha!) : undefined;
    const filters = arch === 'small_cnn' ? (opts.filters ?? info.defaultFilters!) : undefined;
    const { nodes, output } = graphOf(arch, alpha ?? 1, filters ?? [], opts.inputShape);
    return describeGraph(nodes, {
        arch,
        label: zooLabel(arch, alpha, filters),
        inputShape: opts.inputShape,
        output,
        cutAt: opts.cutAt,
        alpha,
        filters
    });
}
