// Weight sources (a model.json's manifest, a Keras .h5 file) in one plain form, and the copy of
// their weights into a built backbone by layer name — how Keras' `load_weights(by_name=True)`
// works, so that published weights land on the catalog's layers.

import * as tf from '@tensorflow/tfjs';
import { WeightsError } from './download.js';
import { flatLayers } from './model-json.js';

export interface SourceWeight {
    /** Path segments before the weight name, e.g. ['mobilenetv2_1.00_224', 'Conv1']: one of them names the layer. */
    path: string[];
    /** Weight name without the `:0` suffix: kernel, bias, gamma, beta, moving_mean, moving_variance, depthwise_kernel. */
    weight: string;
    shape: number[];
    values: Float32Array;
}

export interface WeightSource {
    /** The file or URL, for messages. */
    origin: string;
    weights: SourceWeight[];
}

export interface CopyReport {
    origin: string;
    /** Target layers whose weights were all set. */
    copied: string[];
    /** Target layers with weights the source does not have (they keep their initial values). */
    missing: string[];
    /** Layers of the source the target does not have (e.g. a classifier top). */
    unused: string[];
    /** Weights whose shapes differ; nothing of these layers was copied. */
    mismatched: { layer: string; weight: string; expected: number[]; got: number[] }[];
    /** Layers whose kernel was adapted to fewer input channels (RGB weights on a grayscale input). */
    adapted: string[];
}

/** The layer a source weight belongs to: the right-most path segment naming a target layer. */
function ownerOf(weight: SourceWeight, layerNames: Set<string>): string | undefined {
    for (let i = weight.path.length - 1; i >= 0; i--) if (layerNames.has(weight.path[i])) return weight.path[i];
    return undefined;
}

/** The last segment of a tfjs variable's name, e.g. `conv1/kernel_3` → `kernel`. */
function variableWeightName(v: tf.LayerVariable): string {
    const original = (v as unknown as { originalName?: string }).originalName ?? v.name;
    return original.split('/').pop()!.replace(/_\d+$/, '').replace(/:\d+$/, '');
}

/**
 * A 3-channel kernel [kh, kw, 3, out] summed over its input channels, for a 1-channel input: a
 * grayscale image g equals an RGB image (g, g, g), on which the summed kernel gives the same
 * response.
 */
function sumInputChannels(w: SourceWeight, targetIn: number): Float32Array | undefined {
    if (w.shape.length !== 4 || targetIn !== 1 || w.shape[2] !== 3) return undefined;
    const [kh, kw, cin, cout] = w.shape;
    const out = new Float32Array(kh * kw * cout);
    for (let p = 0; p < kh * kw; p++) {
        for (let c = 0; c < cin; c++) {
            for (let o = 0; o < cout; o++) out[p * cout + o] += w.values[(p * cin + c) * cout + o];
        }
    }
    return out;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Copies weights into `model` by layer name. Within a layer, weights are matched by name (kernel,
 * bias, …), falling back to their order when the names differ. A layer is set only when all its
 * weights match in shape. Returns what happened; see `assertUsable`.
 */
export function copyWeightsByName(model: tf.LayersModel, source: WeightSource): CopyReport {
    const layers = flatLayers(model).filter((l) => l.weights.length > 0);
    const names = new Set(layers.map((l) => l.name));
    const byLayer = new Map<string, SourceWeight[]>();
    const unused = new Set<string>();
    for (const w of source.weights) {
        const owner = ownerOf(w, names);
        if (owner) {
            const list = byLayer.get(owner) ?? [];
            list.push(w);
            byLayer.set(owner, list);
        } else if (w.path.length > 0) {
            unused.add(w.path[w.path.length - 1]);
        }
    }
    const report: CopyReport = { origin: source.origin, copied: [], missing: [], unused: [...unused], mismatched: [], adapted: [] };
    for (const layer of layers) {
        const available = byLayer.get(layer.name);
        if (!available) {
            report.missing.push(layer.name);
            continue;
        }
        const targets = layer.weights;
        const values: tf.Tensor[] = [];
        let adapted = false;
        let ok = true;
        targets.forEach((variable, i) => {
            const wanted = variableWeightName(variable);
            const expected = variable.shape as number[];
            const w = available.find((s) => s.weight === wanted) ?? (available.length === targets.length ? available[i] : undefined);
            if (!w) {
                report.mismatched.push({ layer: layer.name, weight: wanted, expected, got: [] });
                ok = false;
                return;
            }
            if (sameShape(w.shape, expected)) {
                values.push(tf.tensor(w.values, w.shape));
                return;
            }
            const summed = sumInputChannels(w, expected[2]);
            if (summed && sameShape([w.shape[0], w.shape[1], 1, w.shape[3]], expected)) {
                values.push(tf.tensor(summed, expected));
                adapted = true;
                return;
            }
            report.mismatched.push({ layer: layer.name, weight: wanted, expected, got: w.shape });
            ok = false;
        });
        if (ok) {
            layer.setWeights(values);
            report.copied.push(layer.name);
            if (adapted) report.adapted.push(layer.name);
        }
        tf.dispose(values);
    }
    return report;
}

/** One readable paragraph about a copy, for logs and errors. */
export function formatReport(report: CopyReport): string {
    const parts = [`weights from ${report.origin}: ${report.copied.length} layers set`];
    if (report.adapted.length) parts.push(`${report.adapted.length} adapted from RGB to 1 input channel (${report.adapted.join(', ')})`);
    if (report.missing.length) parts.push(`${report.missing.length} not in the file, left at their initial values (${report.missing.slice(0, 8).join(', ')}${report.missing.length > 8 ? ', …' : ''})`);
    if (report.mismatched.length) {
        parts.push(`${report.mismatched.length} with a different shape: ${report.mismatched.slice(0, 8).map((m) => `${m.layer}/${m.weight} is [${m.expected.join(', ')}] here but [${m.got.join(', ')}] in the file`).join('; ')}`);
    }
    return parts.join('; ');
}

/**
 * Throws when the weights did not fit: any shape mismatch, or nothing copied at all (usually a
 * file for a different architecture).
 */
export function assertUsable(report: CopyReport): void {
    if (report.mismatched.length > 0 || report.copied.length === 0) {
        throw new WeightsError(`${formatReport(report)}. The weights do not fit this backbone: check the architecture, alpha and weights file`);
    }
}
