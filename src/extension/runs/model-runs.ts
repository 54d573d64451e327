// Which run of an experiment has a model to predict with: the newest completed run folder with
// model/model.json. Read on every CodeLens refresh, so it only lists folders and reads the
// status of results.json, newest first, stopping at the first hit.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function latestModelRun(runsRoot: string, experiment: string): string | undefined {
    let names: string[];
    try {
        names = readdirSync(join(runsRoot, experiment));
    } catch {
        return undefined;
    }
    // Run ids are UTC timestamps (YYYYMMDD-HHMMSS[-n]): the name order is the time order.
    for (const name of names.filter((n) => !n.includes('.tmp-') && !n.includes('.old-')).sort().reverse()) {
        const runDir = join(runsRoot, experiment, name);
        if (!existsSync(join(runDir, 'model', 'model.json'))) continue;
        try {
            const status = (JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { status?: unknown }).status;
            if (status === 'completed') return runDir;
        } catch {
            // unreadable results: not a usable run
        }
    }
    return undefined;
}
