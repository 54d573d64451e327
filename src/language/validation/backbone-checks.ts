// Checks of backbones and freezing: zoo options the architecture offers (alpha, filters), weights
// locations and sha256 values, `cut at` and freezing statements against the backbone's layers.
// Layer lists come from the shared zoo catalog and model.json topologies (BackboneLayers), so
// the editor promises exactly the layers the runtime builds.
import type { AstNode, ValidationAcceptor } from 'langium';
import {
    isExperimentBackbone,
    isFileBackbone,
    isZooBackbone,
    type CutAt,
    type Experiment,
    type FileBackbone,
    type FreezeLayers,
    type FreezeMatching,
    type FreezeUntil,
    type UnfreezeFrom,
    type UnfreezeLast,
    type WeightsSpec,
    type ZooBackbone
} from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import type { BackboneDescription } from '../../core/zoo/catalog-types.js';
import { archsWith, describeZoo, imagenetSourceOf, ZOO_INFO, ZooError } from '../../core/zoo/catalog.js';
import { describeModelJsonCached } from '../../core/zoo/model-json.js';
import { globToRegExp } from '../../core/plan/freezing.js';
import { fmt, isPositiveInt, nearest } from './check-utils.js';
import { Codes, report } from './codes.js';
import { pathKind } from './disk-facts.js';
import { resolveSpecPath } from './dataset-facts.js';
import { inputShapeOf } from './experiment-facts.js';
import { backboneCycle } from './reference-checks.js';

const SHA256 = /^[0-9a-f]{64}$/i;

/** `scheme://…`: a URL rather than a path. */
function urlScheme(location: string): string | undefined {
    return /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
}

function experimentOf(node: AstNode): Experiment | undefined {
    let current: AstNode | undefined = node;
    while (current && current.$type !== 'Experiment') current = current.$container;
    return current as Experiment | undefined;
}

type FreezeByName = FreezeUntil | UnfreezeFrom;

/** Zoo options + input shape → why the network does not fit ('' when it does); the catalog is pure, so this never goes stale. */
const inputProblems = new Map<string, string>();

export class BackboneChecks {
    constructor(private readonly services: GraftServices) {}

    // ------------------------------------------------------------------ zoo options and weights

    checkZooBackbone = (backbone: ZooBackbone, acceptAny: ValidationAcceptor): void => {
        const info = ZOO_INFO[backbone.arch];
        if (!info) return;
        // Whether the statement already has an error: the input-size check then stays quiet, so
        // that one wrong option does not cascade into a second diagnostic on the same backbone.
        let failed = false;
        const accept: ValidationAcceptor = (severity, message, diagnostic) => {
            failed ||= severity === 'error';
            acceptAny(severity, message, diagnostic);
        };
        if (backbone.weights) this.checkWeights(backbone.weights, accept);
        if (backbone.alpha !== undefined) {
            if (!info.alphas) {
                report(accept, 'error', Codes.alphaUnsupported, `${backbone.arch} has no alpha (only ${archsWith('alpha').join(' and ')} have a width multiplier); remove \`alpha ${fmt(backbone.alpha)}\``, {
                    node: backbone,
                    property: 'alpha'
                });
            } else if (!info.alphas.includes(backbone.alpha)) {
                const alpha = backbone.alpha;
                const offered = info.alphas.map(fmt);
                const closest = [...info.alphas].sort((a, b) => Math.abs(a - alpha) - Math.abs(b - alpha)).map(fmt);
                report(accept, 'error', Codes.alphaUnsupported, `alpha ${fmt(alpha)} is not offered by ${backbone.arch}; it offers ${offered.join(', ')}`, { node: backbone, property: 'alpha' }, {
                    candidates: closest,
                    suggestion: closest[0]
                });
            }
        }
        if (backbone.filters.length > 0) {
            if (ZOO_INFO[backbone.arch].defaultFilters === undefined) {
                report(accept, 'error', Codes.filtersUnsupported, `${backbone.arch} has fixed widths; \`filters\` belongs to ${archsWith('filters').join(', ')}`, { node: backbone, keyword: 'filters' });
            } else {
                backbone.filters.forEach((f, index) => {
                    if (!isPositiveInt(f)) {
                        report(accept, 'error', Codes.intRequired, `a filter count must be a positive whole number, not ${fmt(f)}`, { node: backbone, property: 'filters', index });
                    }
                });
            }
        }
        if (backbone.weights?.preset === 'imagenet' && !imagenetSourceOf(backbone.arch, backbone.alpha)) {
            report(accept, 'error', Codes.optionMismatch, `${backbone.arch} has no published ImageNet weights (${archsWith('imagenet').join(', ')} have); use \`weights none\`, a model.json, or a pretrained experiment (\`backbone <experiment>\`)`, {
                node: backbone.weights,
                property: 'preset'
            });
        }
        if (!failed) this.checkInputFits(backbone, accept);
    };

    private checkWeights(weights: WeightsSpec, accept: ValidationAcceptor): void {
        if (weights.url !== undefined) this.checkLocation(weights, weights.url, 'url', accept);
        if (weights.sha256 !== undefined) this.checkSha(weights, weights.sha256, accept);
    }

    checkFileBackbone = (backbone: FileBackbone, accept: ValidationAcceptor): void => {
        this.checkLocation(backbone, backbone.path, 'path', accept);
        if (backbone.sha256 !== undefined) this.checkSha(backbone, backbone.sha256, accept);
    };

    private checkLocation(node: WeightsSpec | FileBackbone, location: string | undefined, property: 'url' | 'path', accept: ValidationAcceptor): void {
        if (location === undefined) return;
        const info = { node, property } as never;
        const scheme = urlScheme(location);
        if (scheme !== undefined) {
            if (scheme !== 'http' && scheme !== 'https') {
                report(accept, 'error', Codes.weightsUrl, `weights must come from an http(s) URL or a local model.json, not ${scheme}://`, info);
            }
            return;
        }
        if (!location.toLowerCase().endsWith('.json')) {
            report(accept, 'error', Codes.weightsUrl, `"${location}" is neither an http(s) URL nor a path to a tfjs model.json`, info);
            return;
        }
        const path = resolveSpecPath(node, location);
        if (path !== undefined && pathKind(path) !== 'file') {
            report(accept, 'error', Codes.pathMissing, `model file not found: "${location}" (resolved to ${path})`, info);
        }
    }

    private checkSha(node: WeightsSpec | FileBackbone, sha: string, accept: ValidationAcceptor): void {
        if (!SHA256.test(sha)) {
            report(accept, 'error', Codes.sha256, `sha256 must be 64 hexadecimal digits; this one has ${sha.length} character${sha.length === 1 ? '' : 's'}${/^[0-9a-f]*$/i.test(sha) ? '' : ' and non-hex ones'}`, {
                node,
                property: 'sha256'
            } as never);
        }
    }

    /** A zoo network needs inputs large enough for its strides (e.g. VGG16 on 28×28 fails at block5_pool). */
    private checkInputFits(backbone: ZooBackbone, accept: ValidationAcceptor): void {
        const experiment = backbone.$container;
        const shape = inputShapeOf(experiment);
        if (!shape || !shape.every(isPositiveInt)) return;
        const info = ZOO_INFO[backbone.arch];
        const alpha = backbone.alpha !== undefined && info.alphas?.includes(backbone.alpha) ? backbone.alpha : undefined;
        const filters = ZOO_INFO[backbone.arch].defaultFilters !== undefined && backbone.filters.length > 0 && backbone.filters.every(isPositiveInt) ? backbone.filters : undefined;
        const key = JSON.stringify([backbone.arch, alpha, filters, shape]);
        let problem = inputProblems.get(key);
        if (problem === undefined) {
            try {
                describeZoo(backbone.arch, { alpha, filters, inputShape: shape });
                problem = '';
            } catch (e) {
                problem = e instanceof ZooError ? e.message : '';
            }
            if (inputProblems.size > 256) inputProblems.clear();
            inputProblems.set(key, problem);
        }
        if (problem) report(accept, 'error', Codes.inputShape, `${problem}; use a larger \`image\` size for this backbone`, { node: backbone, property: 'arch' });
    }

    // ------------------------------------------------------------------ layers

    /** The backbone's layers before `cut at` (what `cut at` may name), or undefined when unknown. */
    private uncutLayers(cut: CutAt): BackboneDescription | undefined {
        const backbone = cut.$container;
        const experiment = backbone.$container;
        const layers = this.services.layers.BackboneLayers;
        if (isExperimentBackbone(backbone)) {
            const source = backbone.experiment?.ref;
            if (!source || backboneCycle(source)) return undefined;
            const result = layers.describeExperiment(source);
            return result.ok ? result.description : undefined;
        }
        const local = isFileBackbone(backbone) ? backbone.path : backbone.weights?.url;
        if (local !== undefined) {
            if (urlScheme(local) !== undefined) return undefined;
            const path = resolveSpecPath(backbone, local);
            const read = path === undefined ? undefined : describeModelJsonCached(path);
            return read?.ok ? read.description : undefined;
        }
        if (!isZooBackbone(backbone)) return undefined;
        const info = ZOO_INFO[backbone.arch];
        const shape = inputShapeOf(experiment);
        try {
            return describeZoo(backbone.arch, {
                alpha: backbone.alpha !== undefined && info.alphas?.includes(backbone.alpha) ? backbone.alpha : undefined,
                filters: ZOO_INFO[backbone.arch].defaultFilters !== undefined && backbone.filters.length > 0 && backbone.filters.every(isPositiveInt) ? backbone.filters : undefined,
                inputShape: shape && shape.every(isPositiveInt) ? shape : info.defaultInput
            });
        } catch {
            return undefined;
        }
    }

    checkCut = (cut: CutAt, accept: ValidationAcceptor): void => {
        if (cut.layer === undefined) return;
        const description = this.uncutLayers(cut);
        if (!description) return;
        this.checkLayerName(cut, cut.layer, description, accept, undefined);
    };

    /** The layers the freezing statements of `node`'s experiment act on (after `cut at`). */
    private describedLayers(node: AstNode): BackboneDescription | undefined {
        const experiment = experimentOf(node);
        if (!experiment || backboneCycle(experiment)) return undefined;
        const result = this.services.layers.BackboneLayers.describeExperiment(experiment);
        return result.ok ? result.description : undefined;
    }

    checkFreezeByName = (statement: FreezeByName, accept: ValidationAcceptor): void => {
        if (statement.layer === undefined) return;
        const description = this.describedLayers(statement);
        if (!description) return;
        const experiment = experimentOf(statement);
        const backbone = experiment && this.services.layers.BackboneLayers.backboneOf(experiment);
        const cutAt = backbone?.cut?.layer;
        this.checkLayerName(statement, statement.layer, description, accept, cutAt);
    };

    private checkLayerName(node: FreezeByName | CutAt, name: string, description: BackboneDescription, accept: ValidationAcceptor, cutAt: string | undefined): void {
        const names = description.layers.map((l) => l.name);
        if (names.includes(name)) return;
        const candidates = nearest(name, names);
        const hint = candidates.length > 0 ? ` (did you mean ${candidates.map((c) => `"${c}"`).join(', ')}?)` : '';
        const beyond = cutAt !== undefined ? ` before \`cut at "${cutAt}"\`` : '';
        report(accept, 'error', Codes.unknownLayer, `${description.label} has no layer "${name}"${beyond}${hint}`, { node, property: 'layer' } as never, { candidates });
    }

    checkFreezeLayers = (statement: FreezeLayers, accept: ValidationAcceptor): void => {
        if (statement.range?.from === undefined || statement.range.to === undefined) return;
        const { from, to } = statement.range;
        if (!Number.isInteger(from) || !Number.isInteger(to)) {
            report(accept, 'error', Codes.intRequired, 'layer indices are whole numbers', { node: statement, property: 'range' });
            return;
        }
        if (from > to) {
            report(accept, 'error', Codes.layerRange, `empty layer range ${from}..${to}: the first index must not be after the last`, { node: statement, property: 'range' });
            return;
        }
        const description = this.describedLayers(statement);
        if (!description) return;
        const last = description.layers.length - 1;
        if (to > last) {
            report(accept, 'error', Codes.layerRange, `layers ${from}..${to} are outside ${description.label}, whose layers are 0..${last}`, { node: statement, property: 'range' });
        }
    };

    checkUnfreezeLast = (statement: UnfreezeLast, accept: ValidationAcceptor): void => {
        if (statement.count === undefined || statement.unit === undefined) return;
        if (!isPositiveInt(statement.count)) {
            report(accept, 'error', Codes.intRequired, `unfreeze last needs a positive whole number, not ${fmt(statement.count)}`, { node: statement, property: 'count' });
            return;
        }
        const description = this.describedLayers(statement);
        if (!description) return;
        if (statement.unit === 'layers' && statement.count > description.layers.length) {
            report(accept, 'error', Codes.layerRange, `${description.label} has only ${description.layers.length} layers`, { node: statement, property: 'count' });
        }
        if (statement.unit === 'blocks' && statement.count > description.blocks.length) {
            const has = description.blocks.length === 0 ? 'has no blocks; use `unfreeze last <n> layers`' : `has only ${description.blocks.length} block${description.blocks.length === 1 ? '' : 's'}`;
            report(accept, 'error', Codes.layerRange, `${description.label} ${has}`, { node: statement, property: 'count' });
        }
    };

    checkFreezeMatching = (statement: FreezeMatching, accept: ValidationAcceptor): void => {
        if (statement.pattern === undefined) return;
        const description = this.describedLayers(statement);
        if (!description) return;
        const re = globToRegExp(statement.pattern);
        if (!description.layers.some((l) => re.test(l.name))) {
            report(accept, 'warning', Codes.unknownLayer, `"${statement.pattern}" matches no layer of ${description.label}`, { node: statement, property: 'pattern' });
        }
    };
}
