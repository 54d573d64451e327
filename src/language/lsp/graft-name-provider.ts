// Which nodes are named declarations. Langium treats every node with a `name` property as one,
// but in Graft `SimpleMetric.name` is the metric's kind (`accuracy`, …), not a declaration: it
// must not appear in the outline, in scopes, or be renamable.
import { DefaultNameProvider, type AstNode, type CstNode } from 'langium';
import { isDataset, isExperiment, isHead, isStage, isSweep } from '../generated/ast.js';

export function isNamedDeclaration(node: AstNode): boolean {
    return isDataset(node) || isExperiment(node) || isSweep(node) || isStage(node) || isHead(node);
}

export class GraftNameProvider extends DefaultNameProvider {
    override getName(node: AstNode): string | undefined {
        return isNamedDeclaration(node) ? super.getName(node) : undefined;
    }

    override getNameNode(node: AstNode): CstNode | undefined {
        return isNamedDeclaration(node) ? super.getNameNode(node) : undefined;
    }
}
