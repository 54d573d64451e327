// Where the `graft` CLI runs: a `node` on PATH (what a user's terminal would use), else the
// editor's own binary in Node mode. The graft.nodePath setting overrides both.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface NodeRuntime {
    command: string;
    env: NodeJS.ProcessEnv;
}

export function findNode(configured: string | undefined): NodeRuntime {
    if (configured) return { command: configured, env: {} };
    const names = process.platform === 'win32' ? ['node.exe'] : ['node'];
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
        if (!dir) continue;
        for (const n of names) {
            try {
                accessSync(join(dir, n), constants.X_OK);
                return { command: join(dir, n), env: {} };
            } catch {
                // not here
            }
        }
    }
    return { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
}
