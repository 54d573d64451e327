// Graft's completion. Langium proposes the keywords the grammar allows at the cursor and the
// dataset/experiment names in scope; this adds what only Graft knows: the alphas a backbone
// offers, layer names of the chosen backbone inside `freeze until "…"`, `unfreeze from "…"` and
// `cut at "…"`, globs for `freeze matching "…"`, folders and files for paths (relative to the
// spec), monitors; and it keeps a fresh line inside a block to the statements that may start there.
import { AstUtils, GrammarAST, type AstNode, type AstNodeDescription, type ReferenceInfo, type Stream, type TextDocument } from 'langium';
import {
    DefaultCompletionProvider,
    findFirstFeatures,
    type CompletionAcceptor,
    type CompletionContext,
    type CompletionProviderOptions,
    type NextFeature
} from 'langium/lsp';
import { CompletionItemKind, type Range } from 'vscode-languageserver';
import { isDataProp, isDataset, isExperiment, isMetricsProp, isSweep, isZooBackbone, type Experiment } from '../generated/ast.js';
import { datasetCsv, sourceClassCounts } from '../validation/dataset-facts.js';
import { labelColumns } from '../validation/disk-facts.js';
import type { GraftServices } from '../graft-module.js';
import { isZooArch, ZOO_INFO } from '../../core/zoo/catalog.js';
import { globToRegExp } from '../../core/plan/freezing.js';
import { backboneOf, enclosingExperiment, uncutBackboneOf } from './experiment-context.js';
import { listPathCompletions, type PathKindWanted } from './path-completion.js';
import { monitorNames } from './metric-names.js';
import { NAME_RULES } from '../name-rules.js';

/** Rules whose alternatives are statements of a block: a fresh line starts one of these. */
const STATEMENT_RULES = ['Element', 'DatasetProp', 'ExperimentProp', 'AugmentOp', 'HeadLayer', 'TrainSetting', 'StageItem', 'SweepItem'];

/** `rule.property` of string features that are paths, with what they may name. */
const PATH_FEATURES: Record<string, PathKindWanted> = {
    'FolderSource.path': { dirs: true },
    'CsvSource.path': { dirs: true, extensions: ['.csv'] },
    'CsvSource.images': { dirs: true },
    'IdxSource.path': { dirs: true },
    'FileBackbone.path': { dirs: true, extensions: ['.json'] },
    'WeightsSpec.url': { dirs: true, extensions: ['.json'] },
    'ExportProp.path': { dirs: true }
};

const LAYER_FEATURES = new Set(['FreezeUntil.layer', 'UnfreezeFrom.layer', 'CutAt.layer']);
const MONITOR_FEATURES = new Set(['EarlyStopSetting.monitor', 'CheckpointSetting.monitor', 'ObjectiveItem.monitor']);

/** Where the cursor is relative to a string literal on its line. */
interface StringSpot {
    /** Inside quotes: the range of the text between the quotes up to the cursor's word end. */
    inside: boolean;
    /** Text between the opening quote and the cursor. */
    prefix: string;
    /** Range to replace: inside a string, its content; outside, the (empty) cursor position. */
    range: Range;
}

export class GraftCompletionProvider extends DefaultCompletionProvider {
    override readonly completionOptions: CompletionProviderOptions = { triggerCharacters: ['"', '/'] };
    private readonly graft: GraftServices;
    private statementKeywords?: Set<string>;

    constructor(services: GraftServices) {
        super(services);
        this.graft = services;
    }

    /**
     * Inside a string the cursor's features are those at its opening quote. This matters for an
     * unterminated string (`source folder "data/fa` while typing): its pieces would otherwise lex
     * as unrelated tokens and hide the string feature.
     */
    protected override findFeaturesAt(document: TextDocument, offset: number): NextFeature[] {
        const quote = openingQuoteBefore(document.getText(), offset);
        const features = super.findFeaturesAt(document, quote ?? offset);
        // `backbone from` before the cursor also parses as `backbone <experiment named from>`, and
        // the completion parser follows that reading alone: add the path that `from` takes.
        const before = document.getText().slice(0, quote ?? offset);
        if (/\bbackbone\s+from\s*$/.test(before)) features.push(...this.fileBackbonePath());
        return features;
    }

    private fileBackbonePath(): NextFeature[] {
        const rule = this.grammar.rules.find((r) => r.name === 'FileBackbone');
        const assignment = rule && AstUtils.streamAllContents(rule).filter(GrammarAST.isAssignment).find((a) => a.feature === 'path');
        return assignment ? [{ feature: assignment.terminal, type: 'FileBackbone', property: 'path' }] : [];
    }

    protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): void | Promise<void> {
        const key = featureKey(next);
        if (key && LAYER_FEATURES.has(key)) return this.completeLayers(context, key, acceptor);
        if (key === 'FreezeMatching.pattern') return this.completeGlobs(context, acceptor);
        if (key && PATH_FEATURES[key]) return this.completePaths(context, PATH_FEATURES[key], acceptor);
        if (key === 'ZooBackbone.alpha') return this.completeAlphas(context, acceptor);
        // A monitor is a Name (`checkpoint best loss` parses, so validation can explain it): its
        // features lie inside the name rules, where only the property still says what they are.
        if ((key && MONITOR_FEATURES.has(key)) || (next.property === 'monitor' && !GrammarAST.isKeyword(next.feature))) return this.completeMonitors(context, acceptor);
        if (key === 'ClassesProp.names') return this.completeClasses(context, acceptor);
        if (key === 'OutputLayer.labels') return this.completeLabelColumns(context, acceptor);
        return super.completionFor(context, next, acceptor);
    }

    /** On a line holding nothing but the cursor's word, only keywords that start a statement fit the canonical layout. */
    protected override filterKeyword(context: CompletionContext, keyword: GrammarAST.Keyword): boolean {
        if (!super.filterKeyword(context, keyword)) return false;
        // A keyword may be a name (`experiment image`), but proposing 160 keywords where a new name goes helps nobody.
        const rule = AstUtils.getContainerOfType(keyword, GrammarAST.isParserRule)?.name;
        if (rule && NAME_RULES.has(rule)) return false;
        // Zoo options only where the architecture has them: `filters` for small_cnn, `alpha` for MobileNets.
        if (AstUtils.getContainerOfType(keyword, GrammarAST.isParserRule)?.name === 'ZooBackbone') {
            const arch = this.archAt(context);
            if (arch && isZooArch(arch)) {
                if (keyword.value === 'filters' && !ZOO_INFO[arch].defaultFilters) return false;
                if (keyword.value === 'alpha' && !ZOO_INFO[arch].alphas) return false;
            }
        }
        const text = context.textDocument.getText();
        const lineStart = text.lastIndexOf('\n', context.tokenOffset - 1) + 1;
        if (text.slice(lineStart, context.tokenOffset).trim() !== '') return true;
        return this.getStatementKeywords().has(keyword.value);
    }

    private getStatementKeywords(): Set<string> {
        if (!this.statementKeywords) {
            const words = new Set<string>();
            for (const rule of this.grammar.rules) {
                if (!GrammarAST.isParserRule(rule) || !STATEMENT_RULES.includes(rule.name)) continue;
                for (const f of findFirstFeatures(rule.definition)) {
                    if (GrammarAST.isKeyword(f.feature)) words.add(f.feature.value);
                }
            }
            this.statementKeywords = words;
        }
        return this.statementKeywords;
    }

    /**
     * `backbone <experiment>` never offers the experiment being written (that would be a cycle),
     * nor one named like a zoo architecture (`backbone resnet18` is the architecture);
     * `evaluate on <dataset>` does not offer a dataset named `test` (that is the own test split).
     */
    protected override getReferenceCandidates(refInfo: ReferenceInfo, context: CompletionContext): Stream<AstNodeDescription> {
        const candidates = super.getReferenceCandidates(refInfo, context);
        const own = AstUtils.getContainerOfType(refInfo.container, isExperiment);
        if (refInfo.property === 'experiment' && !isSweep(refInfo.container)) {
            return candidates.filter((c) => c.name !== own?.name && !isZooArch(c.name));
        }
        if (refInfo.container.$type === 'EvaluateProp') return candidates.filter((c) => c.name !== 'test');
        return candidates;
    }

    private completeLayers(context: CompletionContext, key: string, acceptor: CompletionAcceptor): void {
        const exp = enclosingExperiment(context.node) ?? this.experimentAt(context);
        const description = key === 'CutAt.layer' ? uncutBackboneOf(this.graft, exp) : backboneOf(this.graft, exp);
        if (!description) return;
        const spot = stringSpot(context);
        const layers = description.layers;
        layers.forEach((layer, i) => {
            const detail = `#${layer.index} ${layer.className} → [${layer.outputShape.join(', ')}]${layer.block ? ` · ${layer.block}` : ''}`;
            acceptor(context, {
                label: layer.name,
                kind: CompletionItemKind.Field,
                detail,
                sortText: String(i).padStart(5, '0'),
                filterText: spot.inside ? layer.name : `"${layer.name}`,
                textEdit: { range: spot.range, newText: spot.inside ? layer.name : `"${layer.name}"` },
                ...(key === 'CutAt.layer' && layer.name === description.featureLayer ? { preselect: true } : {})
            });
        });
    }

    /** Globs that select meaningful groups: each block (`block_13_*`) and each layer kind (`*_BN`). */
    private completeGlobs(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const description = backboneOf(this.graft, enclosingExperiment(context.node) ?? this.experimentAt(context));
        if (!description) return;
        const spot = stringSpot(context);
        const candidates: string[] = [];
        for (const block of description.blocks) {
            const prefix = commonPrefix(description.layers.slice(block.first, block.last + 1).map((l) => l.name));
            if (prefix.length > 0) candidates.push(`${prefix}*`);
        }
        const suffixes = new Map<string, number>();
        for (const layer of description.layers) {
            const cut = layer.name.lastIndexOf('_');
            if (cut > 0) suffixes.set(layer.name.slice(cut), (suffixes.get(layer.name.slice(cut)) ?? 0) + 1);
        }
        for (const [suffix, count] of suffixes) if (count >= 2) candidates.push(`*${suffix}`);
        // The count is what the runtime's own glob matching selects, so the detail never misleads.
        const globs = new Map(candidates.map((g) => [g, description.layers.filter((l) => globToRegExp(g).test(l.name)).length]));
        let i = 0;
        for (const [glob, count] of globs) {
            acceptor(context, {
                label: glob,
                kind: CompletionItemKind.Constant,
                detail: `matches ${count} layers`,
                sortText: String(i++).padStart(5, '0'),
                filterText: spot.inside ? glob : `"${glob}`,
                textEdit: { range: spot.range, newText: spot.inside ? glob : `"${glob}"` }
            });
        }
    }

    private completePaths(context: CompletionContext, wanted: PathKindWanted, acceptor: CompletionAcceptor): void {
        const uri = context.document.uri;
        if (uri.scheme !== 'file') return;
        const spot = stringSpot(context);
        const slash = spot.prefix.lastIndexOf('/');
        const dirPart = slash >= 0 ? spot.prefix.slice(0, slash + 1) : '';
        // Replace only the last path segment, so the client filters on what follows the last `/`.
        const range: Range = spot.inside
            ? { start: context.textDocument.positionAt(context.textDocument.offsetAt(spot.range.start) + dirPart.length), end: spot.range.end }
            : spot.range;
        for (const entry of listPathCompletions(uri.fsPath, dirPart, wanted)) {
            acceptor(context, {
                label: entry.name,
                kind: entry.dir ? CompletionItemKind.Folder : CompletionItemKind.File,
                detail: entry.detail,
                sortText: `${entry.dir ? 0 : 1}${entry.name}`,
                filterText: spot.inside ? entry.name : `"${entry.name}`,
                textEdit: { range, newText: spot.inside ? entry.name : `"${entry.name}"` },
                // Walking into a folder: ask for the next level right away once `/` is typed.
                ...(entry.dir ? { commitCharacters: ['/'] } : {})
            });
        }
    }

    private completeAlphas(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const arch = this.archAt(context);
        const info = arch && isZooArch(arch) ? ZOO_INFO[arch] : undefined;
        if (!info?.alphas) return;
        for (const alpha of info.alphas) {
            acceptor(context, {
                label: String(alpha),
                kind: CompletionItemKind.Value,
                detail: `${arch} width multiplier${alpha === info.defaultAlpha ? ' (default)' : ''}`,
                sortText: String(alpha).padStart(6, '0')
            });
        }
    }

    private completeMonitors(context: CompletionContext, acceptor: CompletionAcceptor): void {
        let exp: Experiment | undefined = enclosingExperiment(context.node) ?? this.experimentAt(context);
        const sweep = context.node ? AstUtils.getContainerOfType(context.node, isSweep) : undefined;
        if (sweep) exp = sweep.experiment?.ref;
        const metrics = exp?.props.find(isMetricsProp)?.metrics ?? [];
        for (const name of monitorNames(metrics)) {
            acceptor(context, { label: name, kind: CompletionItemKind.Value, detail: 'monitor', sortText: `0${name}` });
        }
    }

    /** `classes "…"`: the classes the dataset's source has on disk, with their image counts. */
    private completeClasses(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const dataset = this.enclosing(context, isDataset);
        const counts = dataset ? safely(() => sourceClassCounts(dataset)) : undefined;
        if (!counts) return;
        const spot = stringSpot(context);
        counts.classes.forEach((name, i) => {
            acceptor(context, {
                label: name,
                kind: CompletionItemKind.EnumMember,
                detail: `${counts.counts.get(name) ?? 0} images`,
                sortText: String(i).padStart(5, '0'),
                filterText: spot.inside ? name : `"${name}`,
                textEdit: { range: spot.range, newText: spot.inside ? name : `"${name}"` }
            });
        });
    }

    /** `output … labels "…"`: the label columns of the experiment's CSV. */
    private completeLabelColumns(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const exp = enclosingExperiment(context.node) ?? this.experimentAt(context);
        const dataset = exp?.props.find(isDataProp)?.dataset?.ref;
        const csv = dataset ? safely(() => datasetCsv(dataset)) : undefined;
        if (!csv) return;
        const spot = stringSpot(context);
        labelColumns(csv).forEach((column, i) => {
            acceptor(context, {
                label: column,
                kind: CompletionItemKind.Field,
                detail: 'CSV column',
                sortText: String(i).padStart(5, '0'),
                filterText: spot.inside ? column : `"${column}`,
                textEdit: { range: spot.range, newText: spot.inside ? column : `"${column}"` }
            });
        });
    }

    private enclosing<T extends AstNode>(context: CompletionContext, guard: (n: unknown) => n is T): T | undefined {
        const fromTree = context.node ? AstUtils.getContainerOfType(context.node, guard) : undefined;
        if (fromTree) return fromTree;
        const root = context.document.parseResult.value as AstNode;
        for (const node of AstUtils.streamContents(root)) {
            const cst = node.$cstNode;
            if (guard(node) && cst && cst.offset <= context.offset && context.offset <= cst.end) return node;
        }
        return undefined;
    }

    /** The architecture named on the current `backbone` statement (from the tree, else the line's text). */
    private archAt(context: CompletionContext): string | undefined {
        const zoo = context.node ? AstUtils.getContainerOfType(context.node, isZooBackbone) : undefined;
        if (zoo) return zoo.arch;
        const text = context.textDocument.getText();
        const lineStart = text.lastIndexOf('\n', context.offset - 1) + 1;
        return /\bbackbone\s+(\w+)/.exec(text.slice(lineStart, context.offset))?.[1];
    }

    /** When the tree at the cursor is broken, the experiment whose text encloses the cursor. */
    private experimentAt(context: CompletionContext): Experiment | undefined {
        return this.enclosing(context, isExperiment);
    }
}

/** Disk facts for completion: a failure means no proposals, never an error popup. */
function safely<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch {
        return undefined;
    }
}

function commonPrefix(names: string[]): string {
    if (names.length === 0) return '';
    let prefix = names[0];
    for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
    return prefix;
}

/** `Rule.property` for a terminal or cross-reference feature inside an assignment. */
function featureKey(next: NextFeature): string | undefined {
    const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
    const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
    return assignment && rule ? `${rule.name}.${assignment.feature}` : undefined;
}

/** The offset of the opening quote when `offset` lies inside a string literal on its line. */
function openingQuoteBefore(text: string, offset: number): number | undefined {
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    let open = -1;
    for (let i = lineStart; i < offset; i++) {
        const c = text[i];
        if (c === '\\') i++;
        else if (c === '"') open = open < 0 ? i : -1;
        else if (c === '/' && text[i + 1] === '/' && open < 0) break;
    }
    return open < 0 ? undefined : open;
}

/**
 * Finds whether the cursor is inside a string literal on its line (quotes are never escaped in
 * layer names or paths, but `\"` is skipped anyway) and what to replace.
 */
function stringSpot(context: CompletionContext): StringSpot {
    const text = context.textDocument.getText();
    const offset = context.offset;
    let lineEnd = text.indexOf('\n', offset);
    if (lineEnd < 0) lineEnd = text.length;
    const open = openingQuoteBefore(text, offset) ?? -1;
    const pos = context.textDocument.positionAt(offset);
    if (open < 0) return { inside: false, prefix: '', range: { start: pos, end: pos } };
    let close = text.indexOf('"', offset);
    if (close < 0 || close > lineEnd) close = offset;
    return {
        inside: true,
        prefix: text.slice(open + 1, offset),
        range: { start: context.textDocument.positionAt(open + 1), end: context.textDocument.positionAt(close) }
    };
}
