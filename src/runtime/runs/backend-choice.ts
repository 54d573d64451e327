// Picks the TensorFlow.js backend for a run through the backend module (tfjs-node-gpu →
// tfjs-node → wasm with training kernels → pure JS): `--backend` overrides the spec's `device`.

import { selectBackend, type BackendPreference } from '../backend/select.js';

const NAMES: readonly BackendPreference[] = ['auto', 'gpu', 'cpu', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'js'];

export class BackendChoiceError extends Error {}

/** Returns the description recorded in results.json and events, e.g. "wasm (SIMD, 1 thread, …)". */
export async function chooseBackend(requested: string | undefined, device: 'auto' | 'gpu' | 'cpu', warn: (m: string) => void): Promise<string> {
    if (requested !== undefined && !(NAMES as readonly string[]).includes(requested)) {
        throw new BackendChoiceError(`unknown backend "${requested}"; use one of ${NAMES.join(', ')}`);
    }
    const chosen = await selectBackend((requested as BackendPreference | undefined) ?? device);
    for (const w of chosen.warnings) warn(w);
    return chosen.detail;
}
