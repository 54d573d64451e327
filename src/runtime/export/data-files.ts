// The experiment's images and split, materialised for a project that has no Graft: Graft's own
// loader and split code with the experiment's seed give exactly the samples of a local run; they
// are written as raw uint8 pixels (before normalisation, so the script normalises and augments as
// Graft does) and int64 class indices, one .npy pair per split. When a Graft run of the same
// experiment and seed exists, its splits.json is read and must list the same samples.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentPlan, SplitName } from '../../core/plan/types.js';
import { loadDataset, type Dataset, type SplitsRecord } from '../data/index.js';
import { readJson } from '../runs/files.js';
import { listRuns } from '../runs/run-dir.js';
import type { RunResults } from '../runs/results.js';
import { displayPath } from '../../core/display-path.js';
import { npyBytes } from './npy.js';
import { ExportRefused, where } from './refusals.js';
import type { ProjectFile, SplitFiles } from './types.js';

export interface MaterialisedData {
    files: ProjectFile[];
    splits: SplitFiles[];
    classes: string[];
    trainCounts: number[];
    skipped: { origin: string; reason: string }[];
    /** What the split was checked against. */
    splitSource: string;
}

const SPLITS: SplitName[] = ['train', 'val', 'test'];

/** The run whose splits.json is the reference: `--run`, else the newest local Graft run of this experiment and seed. */
function referenceRun(plan: ExperimentPlan, runsRoot: string, run: string | undefined): string | undefined {
    if (run !== undefined) {
        if (!existsSync(join(run, 'splits.json'))) throw new ExportRefused(`--run ${displayPath(run)}: no splits.json there; give a run folder of ${plan.experiment} written by \`graft run\``);
        return run;
    }
    return listRuns(runsRoot, plan.experiment).find((dir) => {
        const r = readJson<RunResults & { engine?: unknown }>(join(dir, 'results.json'));
        return r !== undefined && r.engine === undefined && r.seed === plan.seed && existsSync(join(dir, 'splits.json'));
    });
}

function checkAgainst(ds: Dataset, runDir: string, plan: ExperimentPlan): void {
    const file = join(runDir, 'splits.json');
    const saved = readJson<{ datasets?: Record<string, SplitsRecord> }>(file)?.datasets?.[ds.name];
    if (!saved) throw new ExportRefused(`${displayPath(file)} has no split of dataset ${ds.name}; give --run a run folder of ${plan.experiment}`);
    const mine = ds.splitsRecord();
    for (const s of SPLITS) {
        const a = saved.splits[s] ?? [];
        const b = mine.splits[s] ?? [];
        if (a.length !== b.length || a.some((k, i) => k !== b[i])) {
            throw new ExportRefused(
                `${where(plan.data.at)}: error: the ${s} split computed now (${b.length} images) differs from ${displayPath(file)} (${a.length}): the data files changed since that run; run \`graft run\` again or pass --run with a current run`
            );
        }
    }
}

export async function materialiseData(plan: ExperimentPlan, runsRoot: string, run: string | undefined, warn: (m: string) => void): Promise<MaterialisedData> {
    // Normalisation is the script's job (it follows augmentation): load raw 0..255 values.
    const ds = await loadDataset({ ...plan.data, normalize: 'none' }, { seed: plan.seed, warn });
    try {
        const reference = referenceRun(plan, runsRoot, run);
        if (reference) checkAgainst(ds, reference, plan);
        const files: ProjectFile[] = [];
        const splits: SplitFiles[] = [];
        for (const split of SPLITS) {
            if (!ds.has(split)) continue;
            const a = await ds.arrays(split);
            const pixels = Uint8Array.from(a.x, (v) => Math.max(0, Math.min(255, Math.round(v))));
            const labels = BigInt64Array.from(a.labels, (l) => BigInt(l[0] ?? -1));
            const images = `data/${split}_images.npy`;
            const labelFile = `data/${split}_labels.npy`;
            files.push({ path: images, content: npyBytes(pixels, [a.n, ...a.shape]) }, { path: labelFile, content: npyBytes(labels, [a.n]) });
            splits.push({ split, images, labels: labelFile, count: a.n });
        }
        // Graft's own splits.json, so the exported run folder carries the same audit trail as a local one.
        files.push({ path: 'splits.json', content: JSON.stringify({ version: 1, datasets: { [ds.name]: ds.splitsRecord() } }, null, 2) + '\n' });
        return {
            files,
            splits,
            classes: ds.classes,
            trainCounts: ds.classCounts('train'),
            skipped: ds.skipped.map((s) => ({ origin: s.file, reason: s.reason })),
            splitSource: reference ? `checked against ${join(reference, 'splits.json')}` : `computed at export time with Graft's split code (seed ${plan.seed}); no local run to compare with`
        };
    } finally {
        await ds.close();
    }
}
