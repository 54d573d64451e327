// Scaffold: replaced by the canonical-layout formatter.
import { AbstractFormatter } from 'langium/lsp';
import type { AstNode } from 'langium';

export class GraftFormatter extends AbstractFormatter {
    protected format(node: AstNode): void {
        void node;
    }
}
