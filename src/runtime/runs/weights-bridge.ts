// The weights module's loaders (model.json from a path or URL with cache and sha256, ImageNet
// weights) in the form the backbone loader takes, with their errors tied to the spec line.

import { dirname } from 'node:path';
import { applyWeights } from '../weights/apply.js';
import { loadBackboneModelJson } from '../weights/model-json.js';
import type { BackboneContext } from '../train/backbone.js';
import { SpecError } from '../train/model.js';

/** `signal` cancels downloads at once (the run's cancellation). */
export function defaultBackboneLoaders(signal?: AbortSignal): Pick<BackboneContext, 'loadModelJson' | 'applyZooWeights'> {
    return {
        loadModelJson: async (location, sha256, at) => {
            try {
                return await loadBackboneModelJson(location, { sha256, baseDir: dirname(at.file), signal });
            } catch (err) {
                throw new SpecError((err as Error).message, at);
            }
        },
        applyZooWeights: async (model, plan) => {
            const b = plan.backbone;
            if (b.kind !== 'zoo') return;
            try {
                await applyWeights(model, b.weights, { arch: b.arch, alpha: b.alpha }, { baseDir: dirname(b.at.file), signal });
            } catch (err) {
                throw new SpecError((err as Error).message, b.at);
            }
        }
    };
}
