// Finding the model a user means: a run folder (runs/<experiment>/<run-id>, its model/ inside),
// an exported model folder (model.json + graft-model.json, e.g. the spec's `export "<dir>"`), or
// model.json itself. Runs made before graft-model.json existed still work: their description is
// rebuilt from the run folder's plan.json, spec.graft and results.json, which hold the same facts.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ExperimentPlan } from '../../core/plan/types.js';
import { buildModelMetadata, ModelFolderError, readModelMetadata, type GraftModelMetadata } from './model-metadata.js';

export interface ModelFolder {
    /** The folder holding model.json. */
    dir: string;
    /** The run folder the model belongs to, when there is one. */
    runDir?: string;
    metadata: GraftModelMetadata;
    /** How the metadata was found: the model's own graft-model.json, or rebuilt from its run folder. */
    metadataFrom: 'graft-model.json' | 'run folder';
}

const isRunFolder = (dir: string): boolean => existsSync(join(dir, 'results.json')) && existsSync(join(dir, 'plan.json'));

function readJsonFile<T>(file: string): T {
    try {
        return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : `not readable JSON (${(err as Error).message})`;
        throw new ModelFolderError(`${file}: ${why}`);
    }
}

/** Rebuilds the description of a run's model from the run's own records (runs older than graft-model.json). */
function metadataFromRun(runDir: string): GraftModelMetadata {
    const plan = readJsonFile<ExperimentPlan>(join(runDir, 'plan.json'));
    const results = readJsonFile<{ runId?: string; cacheKey?: string; classes?: string[][]; thresholds?: (number[] | null)[]; finished?: string }>(join(runDir, 'results.json'));
    if (!plan?.data?.image || plan.head?.kind !== 'output') throw new ModelFolderError(`${join(runDir, 'plan.json')}: no image size or output head recorded; re-run the experiment`);
    if (!results.classes?.length) throw new ModelFolderError(`${join(runDir, 'results.json')}: no classes recorded (did the run complete?); re-run the experiment`);
    const specFile = join(runDir, 'spec.graft');
    const specText = existsSync(specFile) ? readFileSync(specFile, 'utf8') : '';
    return buildModelMetadata({
        plan,
        classes: results.classes,
        thresholds: results.thresholds?.map((t) => t ?? undefined),
        specText,
        runId: results.runId ?? basename(runDir),
        cacheKey: results.cacheKey,
        created: results.finished ? new Date(results.finished) : undefined
    });
}

/** Resolves `path` to a usable model; throws a ModelFolderError saying what is missing and what to do. */
export function openModelFolder(path: string): ModelFolder {
    if (!existsSync(path)) throw new ModelFolderError(`${path}: no such file or folder; give a run folder (runs/<experiment>/<run-id>) or an exported model folder`);
    let dir = statSync(path).isDirectory() ? path : dirname(path);
    let runDir: string | undefined;
    if (isRunFolder(dir)) {
        runDir = dir;
        dir = join(dir, 'model');
        if (!existsSync(join(dir, 'model.json'))) {
            throw new ModelFolderError(`${path}: this run has no trained model (model/model.json); only completed runs of a trained head have one — finish the run (\`graft run … --resume\`) or pick another run`);
        }
    } else if (!existsSync(join(dir, 'model.json'))) {
        const experimentRuns = existsSync(dir) && statSync(dir).isDirectory() && basename(dirname(dir)) === 'runs';
        const hint = experimentRuns ? ' (this looks like an experiment folder: give one of its run folders)' : '';
        throw new ModelFolderError(`${path}: no model.json here${hint}; give a run folder (runs/<experiment>/<run-id>) or a folder with model.json and graft-model.json`);
    } else if (basename(dir) === 'model' && isRunFolder(dirname(dir))) {
        runDir = dirname(dir);
    }
    const own = readModelMetadata(dir);
    if (own) return { dir, runDir, metadata: own, metadataFrom: 'graft-model.json' };
    if (runDir) return { dir, runDir, metadata: metadataFromRun(runDir), metadataFrom: 'run folder' };
    throw new ModelFolderError(`${join(dir, 'graft-model.json')}: missing, so the model's classes, image size and normalisation are unknown; re-run the experiment with this version of Graft, or point at its run folder`);
}
