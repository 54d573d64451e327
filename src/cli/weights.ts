// `graft weights fetch <spec> [--experiment NAME] [--dry-run] [--format text|json]`: downloads
// every weight file the spec's experiments start from into Graft's cache ($GRAFT_CACHE, else
// ~/.cache/graft), so that the machine can then run them offline. The work is
// src/runtime/weights/prefetch.ts; downloads go through the same code a run uses.

import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { displayPath } from '../core/display-path.js';

const HELP = `usage: graft weights fetch <file.graft> [--experiment NAME] [--dry-run] [--format text|json]

Downloads every weight file the spec's experiments start from (\`weights imagenet\`,
\`weights "<URL>"\`, \`backbone from "<URL>"\`, and those of the experiments they build on) into
Graft's cache ($GRAFT_CACHE, else ~/.cache/graft), so that \`graft run\` then needs no network.
Files already in the cache are checked, not downloaded again; local files are only checked.

  --experiment NAME   only this experiment (and what it builds on); default: every experiment in the
                      file and every experiment a sweep in the file sweeps
  --dry-run           list what would be fetched, download nothing
  --format F          text (default) or json

Exit: 0 everything is in place; 1 a download failed or a file is missing (each named, with where a
copy can be placed by hand); 2 usage or I/O problems.`;

const mb = (bytes: number | undefined): string => (bytes === undefined ? '' : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

export async function weights(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    if (!sub || sub === '--help' || sub === '-h') {
        console.log(HELP);
        return sub ? 0 : 2;
    }
    if (sub !== 'fetch') {
        console.error(`graft weights: unknown subcommand '${sub}'\n\n${HELP}`);
        return 2;
    }
    let parsed;
    try {
        parsed = parseArgs({
            args: rest,
            allowPositionals: true,
            options: {
                experiment: { type: 'string' },
                'dry-run': { type: 'boolean', default: false },
                format: { type: 'string', default: 'text' },
                help: { type: 'boolean', short: 'h', default: false }
            }
        });
    } catch (err) {
        console.error(`graft weights fetch: ${(err as Error).message}\n\n${HELP}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log(HELP);
        return 0;
    }
    const format = parsed.values.format;
    if (format !== 'text' && format !== 'json') {
        console.error(`graft weights fetch: --format must be text or json, not "${format}"\n\n${HELP}`);
        return 2;
    }
    if (parsed.positionals.length !== 1) {
        console.error(`graft weights fetch: give exactly one .graft file\n\n${HELP}`);
        return 2;
    }
    const specFile = resolve(parsed.positionals[0]);
    if (!existsSync(specFile) || statSync(specFile).isDirectory()) {
        console.error(`graft weights fetch: ${parsed.positionals[0]}: ${existsSync(specFile) ? 'is a folder; give the .graft file' : 'no such file'}`);
        return 2;
    }

    const { buildPlans } = await import('../language/plan/build.js');
    const { weightsNeeded, fetchAll, fetchSucceeded } = await import('../runtime/weights/prefetch.js');
    const { graftCacheRoot } = await import('../runtime/weights/download.js');
    const { showDownloadProgress } = await import('./download-progress.js');
    showDownloadProgress();
    const set = await buildPlans([dirname(specFile)]);
    const name = parsed.values.experiment;
    const inFile = [...set.experiments.values()].filter((p) => p.at.file === specFile);
    // A sweep in the file trains the experiment it sweeps (its values never change the weights).
    for (const sweep of set.sweeps.values()) {
        const swept = sweep.at.file === specFile ? set.experiments.get(sweep.experiment) : undefined;
        if (swept && !inFile.includes(swept)) inFile.push(swept);
    }
    let selected = inFile;
    if (name) {
        const plan = set.experiments.get(name);
        if (!plan) {
            const e = set.planErrors.get(name);
            console.error(e ? `graft weights fetch: experiment ${name} cannot be planned: ${e.message}` : `graft weights fetch: no experiment "${name}" in ${displayPath(dirname(specFile))} (experiments: ${[...set.experiments.keys()].sort().join(', ') || 'none'})`);
            return e ? 1 : 2;
        }
        selected = [plan];
    }
    // Experiments of the file whose plan has errors: their weights are unknown; say so rather than skip silently.
    const unplanned = name ? [] : [...set.planErrors.entries()].filter(([, e]) => e.at?.file === specFile);
    for (const [exp, e] of unplanned) console.error(`${e.at ? `${displayPath(e.at.file)}:${e.at.line}:${e.at.column}: ` : ''}warning: experiment ${exp} cannot be planned (${e.message}); its weights are not fetched`);
    if (selected.length === 0) {
        console.error(`graft weights fetch: ${displayPath(specFile)} declares no experiment that could be planned`);
        return unplanned.length ? 1 : 2;
    }

    const needs = weightsNeeded(selected, set.experiments);
    const json = format === 'json';
    const where = (n: (typeof needs)[number]): string => (n.kind === 'model_json' || n.kind === 'h5' ? n.url : n.kind === 'local' ? displayPath(n.path) : '');
    if (!json) {
        const names = selected.map((p) => p.experiment).join(', ');
        console.log(needs.length ? `${needs.length} weight source${needs.length === 1 ? '' : 's'} for ${names} → cache ${graftCacheRoot()}` : `${names}: no weights to fetch (every backbone starts from random weights or another experiment)`);
    }
    if (parsed.values['dry-run']) {
        if (json) console.log(JSON.stringify({ cache: graftCacheRoot(), needs }, null, 2));
        else for (const [i, n] of needs.entries()) console.log(`  [${i + 1}/${needs.length}] ${n.what} (${n.experiments.join(', ')})${where(n) ? ` ← ${where(n)}` : ''}`);
        return 0;
    }
    const outcomes = await fetchAll(needs, {
        start: (n, i) => {
            if (!json) process.stdout.write(`  [${i + 1}/${needs.length}] ${n.what} (${n.experiments.join(', ')})${where(n) ? ` ← ${where(n)}` : ''}\n`);
        },
        end: (o) => {
            if (json) return;
            const size = mb(o.bytes);
            const line =
                o.status === 'downloaded' ? `downloaded${size ? ` ${size}` : ''} in ${(o.seconds ?? 0).toFixed(1)} s → ${displayPath(o.path ?? '')}`
                : o.status === 'cached' ? `already in the cache${size ? ` (${size})` : ''}: ${displayPath(o.path ?? '')}`
                : o.status === 'present' ? `local file present${size ? ` (${size})` : ''}`
                : o.status === 'trained by graft run' ? `trained by \`graft run\` (nothing to download)`
                : `${o.status}: ${o.error ?? ''}`;
            (fetchSucceeded(o) ? process.stdout : process.stderr).write(`      ${line}\n`);
        }
    });
    const failed = outcomes.filter((o) => !fetchSucceeded(o));
    if (json) console.log(JSON.stringify({ cache: graftCacheRoot(), outcomes }, null, 2));
    else if (failed.length) console.error(`graft weights fetch: ${failed.length} of ${outcomes.length} not in place; the messages above say where a copy can be placed by hand`);
    else console.log(`ready to run offline: every weight file is in place`);
    return failed.length || unplanned.length ? 1 : 0;
}
