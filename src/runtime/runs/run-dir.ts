// Run folders: runs/<experiment>/<run-id>/ next to the spec (or under --runs-dir), finding the run
// to resume, and the cache key that says whether a finished run is still up to date for
// `backbone <experiment>`: its plan (the spec's meaning, without line numbers) plus the list of
// its data files with sizes and modification times.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import type { DatasetPlan, ExperimentPlan } from '../../core/plan/types.js';
import { readJson } from './files.js';
import { shownStatus } from './liveness.js';
import type { RunResults } from './results.js';

/** A sortable, readable id: UTC time to the second, plus a counter when two runs start in the same second. */
export function newRunId(experimentDir: string, now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    let id = stamp;
    for (let k = 2; existsSync(join(experimentDir, id)); k++) id = `${stamp}-${k}`;
    return id;
}

/** Run folders of an experiment, newest first. */
export function listRuns(runsRoot: string, experiment: string): string[] {
    const dir = join(runsRoot, experiment);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.includes('.tmp-') && !d.name.includes('.old-'))
        .map((d) => join(dir, d.name))
        .sort()
        .reverse();
}

/** A `running` record whose owner is another live process (this process resuming its own record has ended that run). */
function aliveElsewhere(r: RunResults): boolean {
    if (!r.owner || (r.owner.pid === process.pid && r.owner.host === hostname())) return false;
    return shownStatus(r) === 'running';
}

/**
 * The newest run that did not complete and left a state to continue from. A run still going in
 * another process (live owner, fresh heartbeat) is not taken: two processes would write one folder.
 */
export function findResumable(runsRoot: string, experiment: string): string | undefined {
    return listRuns(runsRoot, experiment).find((dir) => {
        const r = readJson<RunResults>(join(dir, 'results.json'));
        return r !== undefined && r.status !== 'completed' && !aliveElsewhere(r) && existsSync(join(dir, 'state.json'));
    });
}

/** The newest completed run with this cache key that exported a backbone. */
export function findUpToDate(runsRoot: string, experiment: string, cacheKey: string): string | undefined {
    return listRuns(runsRoot, experiment).find((dir) => {
        const r = readJson<RunResults>(join(dir, 'results.json'));
        return r?.status === 'completed' && r.cacheKey === cacheKey && existsSync(join(dir, 'backbone', 'model.json'));
    });
}

function walk(root: string, into: string[], base = root): void {
    if (!existsSync(root)) return;
    const st = statSync(root);
    if (!st.isDirectory()) {
        into.push(`${relative(base, root) || '.'}\t${st.size}\t${Math.round(st.mtimeMs)}`);
        return;
    }
    for (const name of readdirSync(root).sort()) {
        if (name === 'runs' || name.startsWith('.')) continue;
        walk(join(root, name), into, base);
    }
}

/** Files behind a dataset, with sizes and mtimes. */
export function dataFingerprint(data: DatasetPlan): string[] {
    const out: string[] = [];
    const s = data.source;
    if (s.kind === 'folder') walk(s.dir, out);
    else if (s.kind === 'idx') walk(s.dir, out);
    else if (s.kind === 'csv') {
        walk(s.file, out);
        walk(s.images, out);
    } else {
        const require = createRequire(import.meta.url);
        try {
            const pkg = require.resolve('mnist/package.json');
            out.push(`mnist@${(readJson<{ version: string }>(pkg) ?? { version: '?' }).version}`);
        } catch {
            out.push('mnist@missing');
        }
    }
    return out;
}

/** Drops spec locations (`at`, `file`, line numbers), so moving a declaration does not invalidate a run. */
function withoutLocations(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(withoutLocations);
    if (value && typeof value === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) if (k !== 'at') out[k] = withoutLocations(v);
        return out;
    }
    return value;
}

export function cacheKey(plan: ExperimentPlan, dependencyKeys: string[] = []): string {
    const h = createHash('sha256');
    h.update(JSON.stringify(withoutLocations(plan)));
    h.update('\n');
    h.update(dataFingerprint(plan.data).join('\n'));
    for (const k of dependencyKeys) h.update(`\n${k}`);
    return h.digest('hex');
}
