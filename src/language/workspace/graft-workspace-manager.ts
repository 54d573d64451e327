// Validates every .graft file of the workspace when the language server starts, not only the
// ones that are open: a broken reference in a closed file should show in the Problems view.
import { DefaultWorkspaceManager, type BuildOptions } from 'langium';
import type { LangiumSharedCoreServices } from 'langium';

export class GraftWorkspaceManager extends DefaultWorkspaceManager {
    override initialBuildOptions: BuildOptions = { validation: true };

    constructor(services: LangiumSharedCoreServices) {
        super(services);
    }
}
