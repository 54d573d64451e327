// Resolves the layer list of any backbone form for the editor and the plan builder:
// a zoo architecture → the zoo catalog (with `weights "<file>/model.json"`, the file is read to
// say which layers it does not fit); `backbone from "<file>"` → the model.json topology on disk
// (read lazily, cached by mtime); `backbone <experiment>` → that experiment's backbone as it
// reaches its head. Never throws: problems come back as `ok: false`.
import { AstUtils, type AstNode } from 'langium';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { GraftServices } from '../graft-module.js';
import {
    isBackbone,
    isDataProp,
    isExperimentBackbone,
    isFileBackbone,
    isIdxSource,
    isImageProp,
    isMnistSource,
    isZooBackbone,
    type Backbone,
    type Experiment,
    type ZooBackbone
} from '../generated/ast.js';
import type { BackboneDescription } from '../../core/zoo/catalog-types.js';
import { describeZoo, isZooArch, ZOO_INFO, ZooError } from '../../core/zoo/catalog.js';
import { cutDescription } from '../../core/zoo/graph.js';
import { describeModelJsonCached } from '../../core/zoo/model-json.js';
import { named } from '../validation/check-utils.js';

export type BackboneResult =
    | {
          ok: true;
          description: BackboneDescription;
          /** Set when the description is a best effort, e.g. for an alpha the architecture does not offer. */
          note?: string;
      }
    | { ok: false; reason: string };

const ZOO_CACHE_LIMIT = 64;

export function isUrl(location: string): boolean {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

export class BackboneLayers {
    /** Zoo descriptions by options; they are cheap, but hover and completion ask often. Shared: do not mutate. */
    private readonly zooCache = new Map<string, BackboneDescription>();

    constructor(protected readonly services: GraftServices) {}

    /** The `backbone …` statement of an experiment, if any. */
    backboneOf(exp: Experiment): Backbone | undefined {
        return exp.props.find(isBackbone);
    }

    /** [height, width, channels] from the experiment's dataset `image` statement, if it has one. */
    inputShapeOf(exp: Experiment): number[] | undefined {
        // Partial input: a `data` statement may not have its name yet.
        const dataset = exp.props.find(isDataProp)?.dataset?.ref;
        const image = dataset?.props.find(isImageProp);
        if (!image) {
            // Same default as the plan: MNIST-format data stays 28×28 grayscale.
            const digits = dataset?.props.some((p) => isMnistSource(p) || isIdxSource(p));
            return digits ? [28, 28, 1] : undefined;
        }
        return [image.height, image.width, image.color === 'grayscale' ? 1 : 3];
    }

    /** The backbone of `exp` at the input shape of its data (default: the architecture's input). */
    describeExperiment(exp: Experiment): BackboneResult {
        return this.safely(() => this.experiment(exp, undefined, new Set()));
    }

    /** The backbone for an explicit input shape [height, width, channels]. */
    describeBackbone(backbone: Backbone, inputShape: number[]): BackboneResult {
        return this.safely(() => this.backbone(backbone, inputShape, new Set([backbone.$container])));
    }

    private safely(run: () => BackboneResult): BackboneResult {
        try {
            return run();
        } catch (e) {
            // A bug must not take the language server down; say what happened instead.
            return { ok: false, reason: `cannot describe the backbone: ${(e as Error).message}` };
        }
    }

    private experiment(exp: Experiment, inputShape: number[] | undefined, visiting: Set<Experiment>): BackboneResult {
        if (visiting.has(exp)) return { ok: false, reason: `experiment '${exp.name}' takes its backbone from itself through a cycle` };
        visiting.add(exp);
        const backbone = this.backboneOf(exp);
        if (!backbone) return { ok: false, reason: `${named('experiment', exp.name)} has no backbone` };
        return this.backbone(backbone, inputShape ?? this.inputShapeOf(exp), visiting);
    }

    private backbone(backbone: Backbone, inputShape: number[] | undefined, visiting: Set<Experiment>): BackboneResult {
        if (isZooBackbone(backbone)) return this.zoo(backbone, inputShape);
        if (isFileBackbone(backbone)) return this.file(backbone, backbone.path, backbone.cut?.layer, inputShape);
        if (isExperimentBackbone(backbone)) {
            const source = backbone.experiment.ref;
            if (!source) return { ok: false, reason: `unknown experiment ${backbone.experiment.$refText}` };
            const inner = this.experiment(source, inputShape, visiting);
            if (!inner.ok || !backbone.cut) return inner;
            return this.cut(inner.description, backbone.cut.layer, inner.note);
        }
        return { ok: false, reason: 'unknown backbone form' };
    }

    private zoo(backbone: ZooBackbone, inputShape: number[] | undefined): BackboneResult {
        const arch = backbone.arch;
        if (!isZooArch(arch)) return { ok: false, reason: `unknown architecture ${String(arch)}` };
        const info = ZOO_INFO[arch];
        const notes: string[] = [];
        // Options the architecture does not offer are reported by validation; the layers are still
        // shown (names do not depend on alpha) so that the other checks keep working.
        let alpha = backbone.alpha;
        if (alpha !== undefined && (!info.alphas || !info.alphas.includes(alpha))) {
            notes.push(info.alphas ? `alpha ${alpha} is not offered by ${arch}; layers shown for alpha ${info.defaultAlpha}` : `${arch} has no alpha`);
            alpha = undefined;
        }
        let filters: number[] | undefined = backbone.filters.length > 0 ? backbone.filters : undefined;
        if (filters && arch !== 'small_cnn') {
            notes.push(`${arch} has no filters`);
            filters = undefined;
        }
        const shape = inputShape ?? info.defaultInput;
        const key = JSON.stringify([arch, alpha, filters, shape, backbone.cut?.layer]);
        let description = this.zooCache.get(key);
        if (!description) {
            try {
                description = describeZoo(arch, { alpha, filters, inputShape: shape, cutAt: backbone.cut?.layer });
            } catch (e) {
                if (e instanceof ZooError) return { ok: false, reason: e.message };
                throw e;
            }
            if (this.zooCache.size >= ZOO_CACHE_LIMIT) this.zooCache.delete(this.zooCache.keys().next().value!);
            this.zooCache.set(key, description);
        }
        const url = backbone.weights?.url;
        if (url !== undefined && !isUrl(url)) {
            const fit = this.weightsFit(backbone, url, description);
            if (fit) notes.push(fit);
        }
        return notes.length > 0 ? { ok: true, description, note: notes.join('; ') } : { ok: true, description };
    }

    /**
     * `weights "<model.json>"` on a zoo backbone: the runtime builds the zoo architecture and copies
     * the file's weights by layer name, so the layers are the catalog's; this says which of them
     * the file lacks or has in another size (undefined when all fit or the file cannot be read —
     * a missing path is validation's to report).
     */
    private weightsFit(node: AstNode, location: string, description: BackboneDescription): string | undefined {
        const path = this.resolvePath(node, location);
        if (!path) return undefined;
        const read = describeModelJsonCached(path);
        if (!read.ok) return undefined;
        const inFile = new Map(read.description.layers.map((l) => [l.name, l]));
        const missing: string[] = [];
        const differ: string[] = [];
        for (const layer of description.layers) {
            if (layer.params === 0) continue;
            const other = inFile.get(layer.name);
            if (!other) missing.push(layer.name);
            else if (other.params !== layer.params) differ.push(`${layer.name} (${layer.params} here, ${other.params} in the file)`);
        }
        const parts: string[] = [];
        const list = (names: string[]): string => names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length})` : '');
        if (missing.length) parts.push(`${location} has no weights for ${list(missing)}`);
        if (differ.length) parts.push(`${location} has weights of another size for ${list(differ)}`);
        return parts.length ? parts.join('; ') : undefined;
    }

    private file(node: AstNode, location: string, cutAt: string | undefined, inputShape: number[] | undefined): BackboneResult {
        if (isUrl(location)) return { ok: false, reason: `${location} is a URL; its layers are known only once it is downloaded (graft run)` };
        const path = this.resolvePath(node, location);
        if (!path) return { ok: false, reason: `${location} cannot be resolved: the spec is not a file on disk` };
        const read = describeModelJsonCached(path);
        if (!read.ok) return { ok: false, reason: read.error };
        let note: string | undefined;
        if (inputShape && read.description.inputShape.join('x') !== inputShape.join('x')) {
            note = `the model takes ${read.description.inputShape.join('×')} inputs, the data is ${inputShape.join('×')}`;
        }
        if (!cutAt) return note ? { ok: true, description: read.description, note } : { ok: true, description: read.description };
        return this.cut(read.description, cutAt, note);
    }

    private cut(description: BackboneDescription, layer: string, note: string | undefined): BackboneResult {
        try {
            const cut = cutDescription(description, layer);
            return note ? { ok: true, description: cut, note } : { ok: true, description: cut };
        } catch (e) {
            if (e instanceof ZooError) return { ok: false, reason: e.message };
            throw e;
        }
    }

    /** A spec path resolved against the folder of the file that names it. */
    private resolvePath(node: AstNode, path: string): string | undefined {
        if (isAbsolute(path)) return path;
        const uri = AstUtils.getDocument(node).uri;
        return uri.scheme === 'file' ? resolve(dirname(uri.fsPath), path) : undefined;
    }
}
