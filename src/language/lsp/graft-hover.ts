// Graft's hover: explains what the text means for the model that will train.
// - a backbone (zoo name or `backbone` keyword): layers, parameters, input, feature output;
// - a layer name in `freeze until`, `unfreeze from`, `cut at`: index, class, output shape,
//   parameters, block, and whether it trains before and after that statement;
// - a `freeze matching` glob: how many layers it matches;
// - a dataset (declaration, reference or path): source and, when on disk, classes and images;
// - a stage name (or the `train` block): how many backbone layers and parameters train in it;
// - an experiment: its data and backbone; any other keyword: a line from the reference.
import { AstUtils, CstUtils, GrammarAST, GrammarUtils, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import type { HoverProvider } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import {
    isCsvSource,
    isCutAt,
    isDataset,
    isExperiment,
    isFileBackbone,
    isFolderSource,
    isFreezeLayers,
    isIntRange,
    isFreezeMatching,
    isFreezeUntil,
    isIdxSource,
    isMnistSource,
    isStage,
    isTrainBlock,
    isUnfreezeFrom,
    isWeightsSpec,
    isZooBackbone,
    isBackbone,
    type Dataset,
    type Experiment,
    type FreezeLayers,
    type FreezeStmt,
    type Stage
} from '../generated/ast.js';
import type { GraftServices } from '../graft-module.js';
import type { BackboneDescription, LayerInfo } from '../../core/zoo/catalog-types.js';
import { isZooArch, ZOO_INFO } from '../../core/zoo/catalog.js';
import { globToRegExp, trainableParams } from '../../core/plan/freezing.js';
import { backboneOf, enclosingExperiment, freezeStateAt, trainableInStage, uncutBackboneOf } from './experiment-context.js';
import { keywordDoc } from './keyword-docs.js';
import { classCounts, resolveSpecPath, sourceOf, splitPropOf, taskOf } from '../validation/dataset-facts.js';
import { pathKind } from '../validation/disk-facts.js';

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const shape = (s: readonly number[]): string => `[${s.join(', ')}]`;
/** A declaration's name in a hover title; a half-typed declaration may have none yet. */
const title = (name: string | undefined): string => (name ? `\`${name}\`` : '(without a name)');

export class GraftHoverProvider implements HoverProvider {
    constructor(protected readonly services: GraftServices) {}

    getHoverContent(document: LangiumDocument, params: HoverParams): Hover | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const offset = document.textDocument.offsetAt(params.position);
        const leaf = CstUtils.findLeafNodeAtOffset(root, offset);
        if (!leaf || leaf.hidden) return undefined;
        try {
            const markdown = this.describe(leaf);
            if (!markdown) return undefined;
            return {
                contents: { kind: 'markdown', value: markdown },
                range: { start: leaf.range.start, end: leaf.range.end }
            };
        } catch {
            // Hover on a half-written spec must never surface an error to the user.
            return undefined;
        }
    }

    private describe(leaf: CstNode): string | undefined {
        const node = leaf.astNode;
        const source = leaf.grammarSource;
        const assignment = GrammarUtils.findAssignment(leaf);
        const rule = source ? AstUtils.getContainerOfType(source, GrammarAST.isParserRule)?.name : undefined;

        // Cross-references: describe what they point to.
        if (assignment && GrammarAST.isCrossReference(assignment.terminal)) {
            const target = (node as unknown as Record<string, { ref?: AstNode } | undefined>)[assignment.feature]?.ref;
            if (isDataset(target)) return this.datasetHover(target);
            if (isExperiment(target)) return this.experimentHover(target);
            return undefined;
        }
        // Declarations.
        if (assignment?.feature === 'name') {
            if (isDataset(node)) return this.datasetHover(node);
            if (isExperiment(node)) return this.experimentHover(node);
            if (isStage(node)) return this.stageHover(node);
            return undefined;
        }
        // A monitor may be a keyword-shaped word (`checkpoint best loss`): it is no keyword there.
        if (assignment?.feature === 'monitor') return undefined;
        if (isTrainBlock(node) && GrammarAST.isKeyword(source) && source.value === 'train') {
            const exp = enclosingExperiment(node);
            const stage = exp ? this.stageHover(exp) : undefined;
            if (stage) return `${stage}\n\n${keywordDoc('train', rule) ?? ''}`.trim();
        }
        // Layer names and globs.
        if (assignment?.feature === 'layer' && (isFreezeUntil(node) || isUnfreezeFrom(node) || isCutAt(node))) {
            return this.layerHover(node, node.layer);
        }
        if (isFreezeMatching(node) && assignment?.feature === 'pattern') return this.globHover(node);
        if (isIntRange(node) && isFreezeLayers(node.$container)) return this.indexRangeHover(node.$container);
        // Paths of a dataset source.
        if ((isFolderSource(node) || isCsvSource(node) || isIdxSource(node)) && assignment) {
            const dataset = AstUtils.getContainerOfType(node, isDataset);
            return dataset ? this.datasetHover(dataset) : undefined;
        }
        // Backbone statements: the zoo name, the `backbone` keyword, or the model.json / weights path.
        const backbonePath = (isFileBackbone(node) && assignment?.feature === 'path') || (isWeightsSpec(node) && assignment?.feature === 'url');
        if (backbonePath || (isBackbone(node) && (assignment?.feature === 'arch' || (GrammarAST.isKeyword(source) && source.value === 'backbone')))) {
            const exp = enclosingExperiment(node);
            if (exp) return this.backboneHover(exp);
        }
        if (GrammarAST.isKeyword(source)) {
            if (isMnistSource(node)) {
                const dataset = AstUtils.getContainerOfType(node, isDataset);
                if (dataset) return this.datasetHover(dataset);
            }
            const doc = keywordDoc(source.value, rule);
            return doc ? `**${source.value}** — ${doc}` : undefined;
        }
        return undefined;
    }

    // ------------------------------------------------------------------ backbones and layers

    private backboneHover(exp: Experiment): string {
        const backbone = exp.props.find(isBackbone);
        const result = this.services.layers.BackboneLayers.describeExperiment(exp);
        if (!result.ok) return `**backbone** — cannot describe it: ${result.reason}`;
        const d = result.description;
        const lines = [`**${d.label}**${result.note ? ` (${result.note})` : ''}`];
        if (isZooBackbone(backbone) && isZooArch(backbone.arch)) lines.push('', ZOO_INFO[backbone.arch].summary);
        lines.push(
            '',
            `- ${fmtInt(d.layers.length)} layers, ${d.blocks.length} blocks, ${fmtInt(d.params)} parameters`,
            `- input ${shape(d.inputShape)}${this.defaultInput(exp)}`,
            `- feature output \`${d.featureLayer}\` ${shape(d.featureShape)}`
        );
        return lines.join('\n');
    }

    private defaultInput(exp: Experiment): string {
        const backbone = exp.props.find(isBackbone);
        if (isZooBackbone(backbone) && isZooArch(backbone.arch)) return ` (architecture default ${shape(ZOO_INFO[backbone.arch].defaultInput)})`;
        return '';
    }

    private layerHover(stmt: FreezeStmt | AstNode, name: string): string | undefined {
        const exp = enclosingExperiment(stmt);
        const description = this.describeForLayer(exp, stmt);
        if (!exp || !description) return undefined;
        const layer = description.layers.find((l) => l.name === name);
        if (!layer) return `**"${name}"** — ${description.label} has no layer of that name`;
        const lines = [this.layerSummary(description, layer)];
        if (isCutAt(stmt)) {
            lines.push('', `Every layer after it is dropped: the backbone keeps ${fmtInt(layer.index + 1)} layers.`);
        } else if (isFreezeUntil(stmt) || isUnfreezeFrom(stmt)) {
            const state = freezeStateAt(description, exp, stmt);
            const was = state.before[layer.index] ? 'trains' : 'is frozen';
            const will = state.after ? (state.after[layer.index] ? 'trains' : 'is frozen') : undefined;
            const trainable = state.after ? state.after.filter(Boolean).length : undefined;
            lines.push('', `Before this statement (stage \`${state.stage}\`) it ${was}${will ? `; after it, it ${will}` : ''}.`);
            if (trainable !== undefined) lines.push(`After it ${fmtInt(trainable)} of ${fmtInt(description.layers.length)} backbone layers train.`);
            if (state.problem) lines.push(`(A statement above cannot apply: ${state.problem}.)`);
        }
        return lines.join('\n');
    }

    /** `cut at` names a layer of the uncut backbone; freezing statements name layers of the cut one. */
    private describeForLayer(exp: Experiment | undefined, stmt: AstNode): BackboneDescription | undefined {
        return isCutAt(stmt) ? uncutBackboneOf(this.services, exp) : backboneOf(this.services, exp);
    }

    private layerSummary(d: BackboneDescription, layer: LayerInfo): string {
        return [
            `**\`${layer.name}\`** — layer #${layer.index} of ${d.layers.length} in ${d.label}`,
            '',
            `- ${layer.className}${layer.block ? ` in block \`${layer.block}\`` : ''}`,
            `- output ${shape(layer.outputShape)}, ${fmtInt(layer.params)} parameters`
        ].join('\n');
    }

    private globHover(stmt: FreezeStmt & { pattern: string }): string | undefined {
        const exp = enclosingExperiment(stmt);
        const d = backboneOf(this.services, exp);
        if (!d) return undefined;
        const re = globToRegExp(stmt.pattern);
        const matched = d.layers.filter((l) => re.test(l.name));
        const sample = matched.slice(0, 6).map((l) => `\`${l.name}\``).join(', ');
        return `**"${stmt.pattern}"** matches ${matched.length} of ${d.layers.length} layers of ${d.label}${matched.length ? `: ${sample}${matched.length > 6 ? ', …' : ''}` : ''}`;
    }

    /** What trains in a stage (a `Stage`, or the experiment itself for the first stage `train`). */
    private stageHover(target: Stage | Experiment): string | undefined {
        const exp = isStage(target) ? enclosingExperiment(target) : target;
        const d = backboneOf(this.services, exp);
        if (!exp || !d) return undefined;
        const { mask, problem } = trainableInStage(d, exp, isStage(target) ? target : undefined);
        const layers = mask.filter(Boolean).length;
        const name = isStage(target) ? target.name : 'train';
        const lines = [
            `**stage** ${title(name)}${isStage(target) ? ' — starts from the weights the previous stage ended with' : ' — the first stage'}`,
            '',
            `- ${fmtInt(layers)} of ${fmtInt(d.layers.length)} backbone layers train (${fmtInt(trainableParams(d, mask))} of ${fmtInt(d.params)} backbone parameters)`
        ];
        if (problem) lines.push(`- a freezing statement cannot apply: ${problem}`);
        return lines.join('\n');
    }

    /** `freeze layers a..b`: which layers the indices name. */
    private indexRangeHover(stmt: FreezeLayers): string | undefined {
        const d = backboneOf(this.services, enclosingExperiment(stmt));
        if (!d || !stmt.range) return undefined;
        const { from, to } = stmt.range;
        const last = d.layers.length - 1;
        const name = (i: number): string => (d.layers[i] ? `#${i} \`${d.layers[i].name}\`` : `#${i} (outside 0..${last})`);
        const count = Math.max(0, Math.min(to, last) - Math.max(from, 0) + 1);
        return `**layers ${from}..${to}** of ${d.label}: ${name(from)} … ${name(to)} — ${count} of ${d.layers.length} layers`;
    }

    // ------------------------------------------------------------------ datasets and experiments

    private datasetHover(dataset: Dataset): string {
        const lines = [`**dataset** ${title(dataset.name)}`, ''];
        const source = sourceOf(dataset);
        if (isMnistSource(source)) lines.push('- source: the MNIST digits that ship with the tool');
        else if (isFolderSource(source) || isCsvSource(source) || isIdxSource(source)) {
            const kind = isFolderSource(source) ? 'folder' : isCsvSource(source) ? 'csv' : 'idx';
            const abs = source.path ? resolveSpecPath(source, source.path) : undefined;
            const exists = abs ? pathKind(abs) !== undefined : undefined;
            lines.push(`- source: ${kind} ${source.path !== undefined ? `\`${source.path}\`` : '(no path yet)'}${exists === false ? ' — **not found**' : ''}${abs ? ` (${abs})` : ''}`);
            if (isCsvSource(source) && source.images !== undefined) lines.push(`- images: \`${source.images}\``);
        } else lines.push('- no source yet');
        lines.push(`- task: ${taskOf(dataset)}`);
        const counts = classCounts(dataset);
        if (counts && counts.classes.length > 0) {
            const total = counts.classes.reduce((sum, c) => sum + (counts.counts.get(c) ?? 0), 0);
            const shown = counts.classes.slice(0, 12).map((c) => `${c} (${fmtInt(counts.counts.get(c) ?? 0)})`).join(', ');
            // Multi-label images carry several tags, so the per-class numbers are tag counts.
            const what = taskOf(dataset) === 'multi_label' ? 'tags' : 'images';
            lines.push(`- ${counts.classes.length} classes, ${fmtInt(total)} ${what}: ${shown}${counts.classes.length > 12 ? ', …' : ''}`);
        }
        const split = splitPropOf(dataset);
        if (split) lines.push(`- split ${split.parts.map((p) => `${p.split} ${p.percent}%`).join(', ')}${split.stratified ? ' (stratified)' : ''}`);
        return lines.join('\n');
    }

    private experimentHover(exp: Experiment): string {
        const lines = [`**experiment** ${title(exp.name)}`, ''];
        const data = exp.props.find((p) => p.$type === 'DataProp') as { dataset?: { ref?: Dataset; $refText: string } } | undefined;
        if (data?.dataset) lines.push(`- data \`${data.dataset.$refText}\``);
        const d = backboneOf(this.services, exp);
        if (d) lines.push(`- backbone ${d.label}: ${fmtInt(d.layers.length)} layers, ${fmtInt(d.params)} parameters, features \`${d.featureLayer}\` ${shape(d.featureShape)}`);
        const stages = exp.props.filter(isStage).map((s) => s.name ?? '(a stage without a name)');
        lines.push(`- stages: train${stages.length ? `, ${stages.join(', ')}` : ''}`);
        return lines.join('\n');
    }
}
