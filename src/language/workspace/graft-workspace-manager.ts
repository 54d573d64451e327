// How the language server finds the workspace's .graft files: every one is validated at start-up,
// not only the open ones (a broken reference in a closed file should show in the Problems view),
// and the same folders are skipped as on the command line.
import { DefaultWorkspaceManager, UriUtils, type BuildOptions, type FileSelector, type FileSystemNode, type LangiumSharedCoreServices } from 'langium';
import type { WorkspaceFolder } from 'vscode-languageserver-types';
import { SKIPPED_DIRS } from './skipped-dirs.js';

export class GraftWorkspaceManager extends DefaultWorkspaceManager {
    override initialBuildOptions: BuildOptions = { validation: true };

    constructor(services: LangiumSharedCoreServices) {
        super(services);
    }

    protected override includeEntry(folder: WorkspaceFolder, entry: FileSystemNode, selector: FileSelector): boolean {
        if (entry.isDirectory && SKIPPED_DIRS.has(UriUtils.basename(entry.uri))) return false;
        return super.includeEntry(folder, entry, selector);
    }
}
