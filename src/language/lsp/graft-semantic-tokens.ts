// Graft's semantic tokens, classified token by token over the whole tree in one pass:
// declarations (with the `declaration` modifier) and references by what they name (experiment →
// class, dataset → struct, sweep → function, stage → method, head → property), layer names in
// freezing statements and `cut at` → property, globs → regexp, numbers and percentages → number,
// zoo architectures → type (defaultLibrary), option values (`softmax`, `adam`, …) → enumMember,
// monitors → variable (readonly), every other keyword → keyword. Paths stay plain strings.
import { AstUtils, CstUtils, GrammarAST, GrammarUtils, type AstNode, type CstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import { isModel } from '../generated/ast.js';

/** Token type per declared or referenced AST type. */
const TYPE_OF_DECLARATION: Record<string, string> = {
    Experiment: SemanticTokenTypes.class,
    Dataset: SemanticTokenTypes.struct,
    Sweep: SemanticTokenTypes.function,
    Stage: SemanticTokenTypes.method,
    Head: SemanticTokenTypes.property
};

const LAYER_PROPERTIES = new Set(['FreezeUntil.layer', 'UnfreezeFrom.layer', 'CutAt.layer']);
const MONITOR_PROPERTIES = new Set(['monitor']);

export interface ClassifiedToken {
    type: string;
    modifier?: string;
}

/** The semantic class of one leaf of the tree, or undefined when it gets none (punctuation, paths). */
export function classifyLeaf(leaf: CstNode): ClassifiedToken | undefined {
    const source = leaf.grammarSource;
    const assignment = GrammarUtils.findAssignment(leaf);
    const rule = source ? AstUtils.getContainerOfType(source, GrammarAST.isParserRule)?.name : undefined;
    const key = assignment && rule ? `${rule}.${assignment.feature}` : undefined;
    // Names first: a name may be a keyword (`experiment image`, `data x`), and as a name it is classified as one.
    const name = assignment ? classifyName(leaf, assignment) : undefined;
    if (name) return name;
    if (GrammarAST.isKeyword(source)) {
        const value = source.value;
        if (value === '%') return { type: SemanticTokenTypes.number };
        if (value === '..') return { type: SemanticTokenTypes.operator };
        if (!/\p{L}/u.test(value)) return undefined;
        if (assignment?.feature === 'arch' || rule === 'ZooArch') return { type: SemanticTokenTypes.type, modifier: SemanticTokenModifiers.defaultLibrary };
        if (assignment && assignment.operator === '=') return { type: SemanticTokenTypes.enumMember };
        return { type: SemanticTokenTypes.keyword };
    }
    if (!assignment) return undefined;
    if (key && LAYER_PROPERTIES.has(key)) return { type: SemanticTokenTypes.property };
    if (key === 'FreezeMatching.pattern') return { type: SemanticTokenTypes.regexp };
    const terminal = assignment.terminal;
    if (GrammarAST.isRuleCall(terminal) && terminal.rule.ref?.name === 'NUMBER') return { type: SemanticTokenTypes.number };
    return undefined;
}

/** A declared name, a reference or a monitor, whether the word is an ID or a keyword. */
function classifyName(leaf: CstNode, assignment: GrammarAST.Assignment): ClassifiedToken | undefined {
    if (GrammarAST.isCrossReference(assignment.terminal)) {
        const target = assignment.terminal.type.ref?.name;
        return target ? { type: TYPE_OF_DECLARATION[target] ?? SemanticTokenTypes.variable } : undefined;
    }
    if (assignment.feature === 'name') {
        const type = TYPE_OF_DECLARATION[leaf.astNode.$type];
        return type ? { type, modifier: SemanticTokenModifiers.declaration } : undefined;
    }
    if (MONITOR_PROPERTIES.has(assignment.feature)) return { type: SemanticTokenTypes.variable, modifier: SemanticTokenModifiers.readonly };
    return undefined;
}

export class GraftSemanticTokenProvider extends AbstractSemanticTokenProvider {
    protected highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): 'prune' | undefined {
        if (!isModel(node) || !node.$cstNode) return undefined;
        for (const leaf of CstUtils.flattenCst(node.$cstNode)) {
            if (leaf.hidden || leaf.length === 0) continue;
            const token = classifyLeaf(leaf);
            if (token) acceptor({ cst: leaf, type: token.type, ...(token.modifier ? { modifier: token.modifier } : {}) });
        }
        return 'prune';
    }
}
