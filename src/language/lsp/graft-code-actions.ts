// Scaffold: replaced by the quick fixes.
import type { CodeActionProvider } from 'langium/lsp';
import type { CodeAction, Command } from 'vscode-languageserver';
import type { GraftServices } from '../graft-module.js';

export class GraftCodeActionProvider implements CodeActionProvider {
    constructor(protected readonly services: GraftServices) {}
    getCodeActions(): Array<Command | CodeAction> {
        return [];
    }
}
