// What `graft weights fetch` does: lists every weight file a set of experiments starts from
// (`weights imagenet`, `weights "<URL>"`, `backbone from "<URL>"`; local files are only checked)
// and downloads the missing ones into the cache through the same functions a run uses
// (download.ts, model-json.ts), so that a machine can be prepared for offline work and a later
// `graft run` finds everything in place.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ExperimentPlan } from '../../core/plan/types.js';
import { cacheDirFor, fetchToCache, fileNameOf, isHttpUrl, WeightsError } from './download.js';
import { imagenetSource } from './imagenet.js';
import { localModelJson } from './model-json.js';

/** One set of weights as the spec asks for it. */
export type WeightWant = {
    /** What in the spec asks for them, e.g. `mobilenet_v2 alpha 0.35 weights imagenet`. */
    what: string;
} & (
        | { kind: 'model_json'; url: string; sha256?: string }
        | { kind: 'h5'; url: string; md5?: string }
        | { kind: 'local'; path: string }
        /** `backbone <experiment>`: trained by `graft run`, nothing to download. */
        | { kind: 'experiment'; experiment: string }
        /** Asked for but not published (e.g. `weights imagenet` for small_cnn): the reason. */
        | { kind: 'unavailable'; reason: string }
    );

/** A want with the experiments that start from it. */
export type WeightNeed = WeightWant & {
    experiments: string[];
};

const keyOf = (n: WeightWant): string =>
    n.kind === 'model_json' || n.kind === 'h5' ? `url:${n.url}` : n.kind === 'local' ? `path:${n.path}` : n.kind === 'experiment' ? `exp:${n.experiment}` : `na:${n.what}`;

function needOf(plan: ExperimentPlan): WeightWant | undefined {
    const b = plan.backbone;
    const baseDir = dirname(b.at.file);
    const location = (where: string, sha256: string | undefined, what: string): WeightWant =>
        isHttpUrl(where) ? { kind: 'model_json', url: where, ...(sha256 ? { sha256 } : {}), what } : { kind: 'local', path: resolve(baseDir, where), what };
    if (b.kind === 'experiment') return { kind: 'experiment', experiment: b.experiment, what: `backbone ${b.experiment}` };
    if (b.kind === 'file') return location(b.location, b.sha256, `backbone from "${b.location}"`);
    const arch = `${b.arch}${b.alpha !== undefined ? ` alpha ${b.alpha}` : ''}`;
    switch (b.weights.kind) {
        case 'none':
            return undefined;
        case 'model_json':
            return location(b.weights.location, b.weights.sha256, `${arch} weights "${b.weights.location}"`);
        case 'imagenet': {
            const what = `${arch} weights imagenet`;
            try {
                const src = imagenetSource(b.arch, b.alpha);
                return src.format === 'tfjs' ? { kind: 'model_json', url: src.url, what } : { kind: 'h5', url: src.url, ...(src.md5 ? { md5: src.md5 } : {}), what };
            } catch (err) {
                return { kind: 'unavailable', reason: (err as Error).message, what };
            }
        }
    }
}

/**
 * The weights `experiments` need, each once, in the order a run needs them; the experiments a
 * backbone experiment depends on (`backbone <experiment>`) are followed through `plans`.
 */
export function weightsNeeded(experiments: ExperimentPlan[], plans: Map<string, ExperimentPlan> = new Map()): WeightNeed[] {
    const needs = new Map<string, WeightNeed>();
    const seen = new Set<string>();
    const visit = (plan: ExperimentPlan): void => {
        if (seen.has(plan.experiment)) return;
        seen.add(plan.experiment);
        // What an experiment builds on is trained first, so its weights are listed first.
        for (const dep of plan.dependsOn) {
            const p = plans.get(dep);
            if (p) visit(p);
        }
        const need = needOf(plan);
        if (need) {
            const key = keyOf(need);
            const known = needs.get(key);
            if (known) known.experiments.push(plan.experiment);
            else needs.set(key, { ...need, experiments: [plan.experiment] });
        }
    };
    for (const p of experiments) visit(p);
    return [...needs.values()];
}

export type FetchStatus = 'downloaded' | 'cached' | 'present' | 'missing' | 'failed' | 'trained by graft run' | 'unavailable';

export interface FetchOutcome {
    need: WeightNeed;
    status: FetchStatus;
    /** Where the files are: the cache folder (or the local path). */
    path?: string;
    /** Bytes on disk for this need (all files of a model.json). */
    bytes?: number;
    seconds?: number;
    error?: string;
}

function sizeOf(paths: string[]): number {
    return paths.reduce((n, p) => n + (existsSync(p) ? statSync(p).size : 0), 0);
}

/** The files a model.json in the cache consists of (model.json and its shards), as far as known. */
function modelJsonFiles(dir: string): string[] {
    const manifest = join(dir, 'model.json');
    if (!existsSync(manifest)) return [];
    try {
        const json = JSON.parse(readFileSync(manifest, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
        return [manifest, ...(json.weightsManifest ?? []).flatMap((g) => (g.paths ?? []).map((p) => join(dir, p)))];
    } catch {
        return [manifest];
    }
}

/** Whether every file of a need is already in the cache (so fetching it will not touch the network). */
function inCache(need: WeightNeed): boolean {
    if (need.kind === 'h5') return existsSync(join(cacheDirFor(need.url), fileNameOf(need.url)));
    if (need.kind === 'model_json') {
        const files = modelJsonFiles(cacheDirFor(need.url));
        return files.length > 1 && files.every((f) => existsSync(f));
    }
    return false;
}

/**
 * Downloads one need into the cache (or checks a local file). Never throws: a failure is an
 * outcome with the download module's message (which names the URL and where to put a copy).
 */
export async function fetchNeed(need: WeightNeed): Promise<FetchOutcome> {
    const started = Date.now();
    const done = (o: Omit<FetchOutcome, 'need' | 'seconds'>): FetchOutcome => ({ need, ...o, seconds: (Date.now() - started) / 1000 });
    switch (need.kind) {
        case 'experiment':
            return done({ status: 'trained by graft run' });
        case 'unavailable':
            return done({ status: 'unavailable', error: need.reason });
        case 'local':
            return existsSync(need.path) ? done({ status: 'present', path: need.path, bytes: sizeOf([need.path]) }) : done({ status: 'missing', path: need.path, error: `${need.path} does not exist` });
        case 'h5':
        case 'model_json': {
            const cached = inCache(need);
            try {
                if (need.kind === 'h5') {
                    const path = await fetchToCache(need.url, fileNameOf(need.url), need.md5 ? { md5: need.md5 } : {});
                    return done({ status: cached ? 'cached' : 'downloaded', path, bytes: sizeOf([path]) });
                }
                const path = await localModelJson(need.url, need.sha256 ? { sha256: need.sha256 } : {});
                return done({ status: cached ? 'cached' : 'downloaded', path: dirname(path), bytes: sizeOf(modelJsonFiles(dirname(path))) });
            } catch (err) {
                return done({ status: 'failed', error: err instanceof WeightsError ? err.message : `${need.url}: ${(err as Error).message}` });
            }
        }
    }
}

/** Fetches every need in turn, reporting each before (`start`) and after (`end`). */
export async function fetchAll(needs: WeightNeed[], report: { start?(need: WeightNeed, index: number): void; end?(outcome: FetchOutcome, index: number): void } = {}): Promise<FetchOutcome[]> {
    const out: FetchOutcome[] = [];
    for (const [i, need] of needs.entries()) {
        report.start?.(need, i);
        const outcome = await fetchNeed(need);
        report.end?.(outcome, i);
        out.push(outcome);
    }
    return out;
}

/** Whether the outcomes leave the experiments ready to run offline. */
export const fetchSucceeded = (o: FetchOutcome): boolean => o.status !== 'failed' && o.status !== 'missing' && o.status !== 'unavailable';
