// The results panel's "Try the model" box, on the extension side: the webview sends an image it
// was given (dropped or picked: its bytes, since a webview cannot read files) or a file the editor
// knows (dragged from the explorer, picked in a dialog); this turns the request into one
// `graft predict` of the panel's own run and a reply for the webview. Kept free of the vscode API
// so that it is tested with real files and a real CLI process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { PredictJson } from '../runs/predict-process.js';
import type { PredictionReply } from './protocol.js';

/** Dropped images larger than this are refused before they are written anywhere. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** Classes shown per output. */
export const PANEL_TOP = 5;

export interface PredictDeps {
    /** Runs `graft predict <model> <file>` (see predict-process.ts). */
    predict(model: string, file: string): Promise<PredictJson>;
    /** Where dropped bytes are written for the CLI (default: the OS temp folder). */
    tempRoot?: string;
}

/** A safe file name for dropped bytes: the name's last part, without path or odd characters. */
export function safeName(name: string): string {
    const base = basename(String(name).replace(/\\/g, '/')).replace(/[^\w.\- ]+/g, '_').slice(-100);
    return base && base !== '.' && base !== '..' ? base : 'image';
}

export class PredictRequests {
    constructor(private readonly deps: PredictDeps) {}

    /** Classifies the image file `file` with the run in `runDir`. */
    async fromFile(requestId: number, runDir: string, file: string, name = basename(file)): Promise<PredictionReply> {
        try {
            return this.reply(requestId, runDir, name, await this.deps.predict(runDir, file));
        } catch (err) {
            return { type: 'prediction', requestId, runDir, name, error: (err as Error).message };
        }
    }

    /** Classifies dropped bytes (base64, as the webview sends them); the temporary copy is removed afterwards. */
    async fromBytes(requestId: number, runDir: string, name: string, base64: string): Promise<PredictionReply> {
        const shown = safeName(name);
        if (typeof base64 !== 'string' || base64.length === 0) return { type: 'prediction', requestId, runDir, name: shown, error: 'the dropped file is empty' };
        // base64 is 4/3 of the bytes: check before decoding.
        if ((base64.length * 3) / 4 > MAX_IMAGE_BYTES) {
            return { type: 'prediction', requestId, runDir, name: shown, error: `the image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB` };
        }
        const dir = mkdtempSync(join(this.deps.tempRoot ?? tmpdir(), 'graft-predict-'));
        try {
            const file = join(dir, shown);
            writeFileSync(file, Buffer.from(base64, 'base64'));
            return await this.fromFile(requestId, runDir, file, shown);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }

    private reply(requestId: number, runDir: string, name: string, out: PredictJson): PredictionReply {
        const p = out.predictions[0];
        if (!p) {
            const why = out.skipped[0]?.reason ?? 'no usable image';
            return { type: 'prediction', requestId, runDir, name, error: `${name} cannot be used: ${why}` };
        }
        return {
            type: 'prediction',
            requestId,
            runDir,
            name,
            outputs: p.outputs.map((o) => ({ head: o.head, task: o.task, predicted: o.predicted, top: o.top.map((s) => ({ class: s.class, probability: s.probability })) }))
        };
    }
}
