// The single catalog of zoo architectures: what each offers (alphas, filters, default input) and
// its full layer graph with Keras names and blocks. The language server reads it for validation,
// completion and hover; the runtime builds exactly these layers (build.ts). Pure TypeScript, no
// tfjs, so that loading it costs nothing.

import type { BackboneDescription } from './catalog-types.js';
import { ZOO_ARCHS, type ZooArch } from './arch-names.js';

export { ZOO_ARCHS, type ZooArch };
import { describeGraph, ZooError, type LayerNode } from './graph.js';
import { mobilenetV1, MOBILENET_V1_OUTPUT, mobilenetV2, MOBILENET_V2_OUTPUT } from './archs/mobilenet.js';
import { resnet18, RESNET18_OUTPUT, resnet50, RESNET50_OUTPUT } from './archs/resnet.js';
import { smallCnn, smallCnnOutput, vgg16, VGG16_OUTPUT } from './archs/plain.js';

export { ZooError } from './graph.js';

export interface ZooInfo {
    /** The width multipliers the architecture offers (MobileNets only). */
    alphas?: number[];
    defaultAlpha?: number;
    /** Architectures whose widths are chosen with `filters`: filters per block when `filters` is not given. */
    defaultFilters?: number[];
    /** [height, width, channels] the architecture is usually trained at. */
    defaultInput: [number, number, number];
    summary: string;
}

/** Where an architecture's published ImageNet weights live: a tfjs layers model or a Keras .h5 (checked by md5 when Keras does). */
export type ImagenetSource = { format: 'tfjs'; url: string } | { format: 'h5'; url: string; md5?: string };

/** One zoo architecture: what it offers, its layer graph, and its published weights, together. */
export interface ZooEntry extends ZooInfo {
    /** The layers (Keras names and blocks) for a width multiplier, filter counts and input shape; `output` is the feature layer. */
    graph(alpha: number, filters: number[], inputShape: number[]): { nodes: LayerNode[]; output: string };
    /** Published ImageNet weights for an alpha; absent = none published (the validator rejects `weights imagenet`). */
    imagenet?(alpha: number): ImagenetSource | undefined;
}

const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications';

/** Formats an alpha as Python's str(float(alpha)) does (Keras file names): 1 → "1.0", 0.35 → "0.35". */
function pythonFloat(alpha: number): string {
    return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

/**
 * The registry. The grammar's architecture names and their TextMate scope are generated from its
 * keys (scripts/registry-rules.ts); the validator, completion, hover, the runtime's builder
 * (src/runtime/zoo/build.ts) and the ImageNet weights loader read its entries.
 */
export const ZOO = {
    small_cnn: {
        defaultFilters: [32, 64, 128],
        defaultInput: [32, 32, 3],
        summary: 'A small CNN: per filter count one block of 3×3 conv → BatchNorm → relu → max-pool 2.',
        graph: (_alpha, filters) => ({ nodes: smallCnn(filters), output: smallCnnOutput(filters) })
    },
    mobilenet_v1: {
        alphas: [0.25, 0.5, 0.75, 1.0],
        defaultAlpha: 1.0,
        defaultInput: [224, 224, 3],
        summary: 'MobileNet v1 (Howard et al. 2017): depthwise-separable convolutions, 13 blocks, Keras names.',
        graph: (alpha) => ({ nodes: mobilenetV1(alpha), output: MOBILENET_V1_OUTPUT }),
        // tfjs-models publishes mobilenet_v1_{0.25,0.50,0.75,1.0}_224 as layers models.
        imagenet: (alpha) => ({ format: 'tfjs', url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha === 1 ? '1.0' : alpha.toFixed(2)}_224/model.json` })
    },
    mobilenet_v2: {
        alphas: [0.35, 0.5, 0.75, 1.0, 1.3, 1.4],
        defaultAlpha: 1.0,
        defaultInput: [224, 224, 3],
        summary: 'MobileNet v2 (Sandler et al. 2018): inverted residual blocks expanded_conv, block_1 … block_16, Keras names.',
        graph: (alpha, _filters, inputShape) => ({ nodes: mobilenetV2(alpha, inputShape), output: MOBILENET_V2_OUTPUT }),
        // Teachable Machine's tfjs conversions without the top for α ≤ 1; the Keras .h5 files for 1.3 and 1.4.
        imagenet: (alpha) =>
            [0.35, 0.5, 0.75, 1].includes(alpha)
                ? { format: 'tfjs', url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha.toFixed(2)}_224_no_top/model.json` }
                : { format: 'h5', url: `${KERAS}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pythonFloat(alpha)}_224_no_top.h5` }
    },
    resnet18: {
        defaultInput: [224, 224, 3],
        summary: 'ResNet18 (He et al. 2016): basic residual blocks conv2_block1 … conv5_block2, Keras ResNet naming.',
        graph: () => ({ nodes: resnet18(), output: RESNET18_OUTPUT })
    },
    resnet50: {
        defaultInput: [224, 224, 3],
        summary: 'ResNet50 (He et al. 2016): bottleneck blocks conv2_block1 … conv5_block3, Keras names.',
        graph: () => ({ nodes: resnet50(), output: RESNET50_OUTPUT }),
        imagenet: () => ({ format: 'h5', url: `${KERAS}/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`, md5: '4d473c1dd8becc155b73f8504c6f6626' })
    },
    vgg16: {
        defaultInput: [224, 224, 3],
        summary: 'VGG16 (Simonyan & Zisserman 2014): 13 3×3 convolutions in blocks block1 … block5, Keras names.',
        graph: () => ({ nodes: vgg16(), output: VGG16_OUTPUT }),
        imagenet: () => ({ format: 'h5', url: `${KERAS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, md5: '6d6bbae143d832006294945121d1f1fc' })
    }
} satisfies Record<ZooArch, ZooEntry>;
/** Every architecture's entry, read through the common interface. */
export const ZOO_INFO: Record<ZooArch, ZooEntry> = ZOO;

/** The architectures that offer an option: `alpha` (width multipliers), `filters`, published ImageNet weights. */
export function archsWith(option: 'alpha' | 'filters' | 'imagenet'): ZooArch[] {
    // ZOO_ARCHS is in registry order: messages list the architectures as the catalog does.
    return ZOO_ARCHS.filter((a) => (option === 'alpha' ? ZOO_INFO[a].alphas : option === 'filters' ? ZOO_INFO[a].defaultFilters : ZOO_INFO[a].imagenet) !== undefined);
}

/** The published ImageNet weights of `arch` at `alpha`, if any. */
export function imagenetSourceOf(arch: ZooArch, alpha?: number): ImagenetSource | undefined {
    const info = ZOO_INFO[arch];
    return info.imagenet?.(alpha ?? info.defaultAlpha ?? 1);
}

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
    const defaultFilters = ZOO_INFO[arch].defaultFilters;
    if (defaultFilters) return `${arch} [${(filters ?? defaultFilters).join(', ')}]`;
    return arch;
}

function checkOptions(arch: ZooArch, opts: DescribeZooOptions): void {
    const info = ZOO_INFO[arch];
    if (opts.alpha !== undefined) {
        if (!info.alphas) throw new ZooError(`${arch} has no alpha (only ${archsWith('alpha').join(' and ')} do)`);
        if (!info.alphas.includes(opts.alpha)) throw new ZooError(`${arch} offers alpha ${info.alphas.join(', ')}, not ${opts.alpha}`);
    }
    if (opts.filters !== undefined) {
        if (!info.defaultFilters) throw new ZooError(`${arch} has no filters (only ${archsWith('filters').join(', ')} ${archsWith('filters').length === 1 ? 'does' : 'do'})`);
        if (opts.filters.length === 0) throw new ZooError(`${arch} needs at least one filter count`);
        const bad = opts.filters.find((f) => !Number.isInteger(f) || f < 1);
        if (bad !== undefined) throw new ZooError(`${arch} filter counts must be positive integers, not ${bad}`);
    }
    const shape = opts.inputShape;
    if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new ZooError(`the input shape must be [height, width, channels] of positive integers, not [${shape.join(', ')}]`);
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
    const filters = info.defaultFilters ? (opts.filters ?? info.defaultFilters) : undefined;
    const { nodes, output } = ZOO_INFO[arch].graph(alpha ?? 1, filters ?? [], opts.inputShape);
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
