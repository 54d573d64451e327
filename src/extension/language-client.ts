// Starts the Graft language server (out/bundle/language-server.cjs) in its own Node process and
// connects it to .graft documents: diagnostics, completion, hover, formatting, rename, outline.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node.js';

export async function startLanguageClient(context: vscode.ExtensionContext): Promise<LanguageClient> {
    const serverModule = context.asAbsolutePath('out/bundle/language-server.cjs');
    const serverOptions: ServerOptions = {
        run: { module: serverModule, transport: TransportKind.ipc },
        debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } }
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            { scheme: 'file', language: 'graft' },
            { scheme: 'untitled', language: 'graft' }
        ],
        // Names are global across the workspace: the server must hear about files that are not open.
        synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.graft') },
        outputChannelName: 'Graft Language Server',
        middleware: {
            workspace: {
                // Run folders hold a copy of the spec (spec.graft). They are records, not part of the
                // workspace: fed to the server they would redeclare every name. The CLI skips them too.
                didChangeWatchedFile: (event, next) => (isInRunFolder(vscode.Uri.parse(event.uri)) ? Promise.resolve() : next(event))
            }
        }
    };
    const client = new LanguageClient('graft', 'Graft Language Server', serverOptions, clientOptions);
    await client.start();
    return client;
}

/** True for files under a runs folder (`runs/` or the graft.runsFolder setting). */
export function isInRunFolder(uri: vscode.Uri): boolean {
    const configured = vscode.workspace.getConfiguration('graft').get<string>('runsFolder', 'runs') || 'runs';
    const names = new Set(['runs', configured.replace(/[\\/]+$/, '').split(/[\\/]/).pop()!]);
    const segments = uri.path.split('/').slice(0, -1);
    return segments.some((s) => names.has(s));
}
