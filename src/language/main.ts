// Language-server entry point (Node): started by the VS Code extension in its own process.
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { createGraftServices } from './graft-module.js';

const connection = createConnection(ProposedFeatures.all);
const { shared } = createGraftServices({ connection, ...NodeFileSystem });
startLanguageServer(shared);
