// Which nodes are named declarations. Langium treats every node with a `name` property as one;
// in Graft only datasets, experiments, sweeps, stages and heads declare names that appear in the
// outline and in scopes and can be renamed.
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
