// The published ImageNet weights of a zoo architecture. Where they live is part of each
// architecture's registry entry (src/core/zoo/catalog.ts); this module turns "none published"
// into the error a run reports.

import { imagenetSourceOf, type ImagenetSource, type ZooArch } from '../../core/zoo/catalog.js';
import { WeightsError } from './download.js';

export type { ImagenetSource };

export function imagenetSource(arch: ZooArch, alpha?: number): ImagenetSource {
    const source = imagenetSourceOf(arch, alpha);
    if (!source) throw new WeightsError(`${arch} has no published ImageNet weights (Keras applications do not ship it); use weights none or a model.json`);
    return source;
}
