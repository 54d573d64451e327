// `graft predict … --format json` as a child process, for the editor: like training, prediction
// never runs in the extension host (TensorFlow.js, sharp and the model stay in the CLI process,
// src/runtime/predict/). The JSON on stdout is the runtime's PredictResult.
import { spawn } from 'node:child_process';
import type { PredictResult } from '../../runtime/predict/predict.js';

export interface PredictCommand {
    /** Executable that runs JavaScript (node, or VS Code's own binary with ELECTRON_RUN_AS_NODE). */
    node: string;
    /** Arguments before the CLI script (e.g. a loader in tests). */
    nodeArgs?: string[];
    /** Path of bin/graft.js. */
    cli: string;
    cwd: string;
    backend?: string;
    env?: NodeJS.ProcessEnv;
    /** Ends a prediction that takes longer (default 120 s: loading the backend and model takes a few). */
    timeoutMs?: number;
}

export interface PredictJson extends PredictResult {
    model: { dir: string; experiment: string; runId?: string; graft: string; metadataFrom: string };
}

export function predictArgs(c: PredictCommand, model: string, files: string[], top: number): string[] {
    const args = [...(c.nodeArgs ?? []), c.cli, 'predict', model, ...files, '--format', 'json', '--top', String(top)];
    if (c.backend && c.backend !== 'auto') args.push('--backend', c.backend);
    return args;
}

/** The last `graft predict: …` line of stderr, else its last line: what went wrong, for a message. */
function reason(stderr: string): string {
    const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
    const own = lines.filter((l) => l.startsWith('graft predict:') && !/ skipped |images? classified/.test(l));
    return (own.at(-1) ?? lines.at(-1) ?? 'no output').replace(/^graft predict:\s*/, '');
}

/**
 * Classifies `files` with the model of `model` (a run folder or exported model folder). Resolves
 * with the CLI's JSON (skipped files included); rejects with the CLI's own message when it could
 * not run (no model, usage) or produced no JSON.
 */
export function runPredict(c: PredictCommand, model: string, files: string[], top = 5): Promise<PredictJson> {
    return new Promise((resolve, reject) => {
        const child = spawn(c.node, predictArgs(c, model, files, top), { cwd: c.cwd, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
        }, c.timeoutMs ?? 120_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
        child.on('error', (err) => {
            clearTimeout(timer);
            reject(new Error(`cannot start ${c.node}: ${err.message}`));
        });
        child.on('close', (code) => {
            clearTimeout(timer);
            if (timedOut) return reject(new Error(`graft predict did not finish within ${Math.round((c.timeoutMs ?? 120_000) / 1000)} s`));
            // 0: all classified; 1: some skipped; 2 with JSON: no usable image (each named in
            // `skipped`); 2 without: no model, or a usage problem (said on stderr).
            if (stdout.trim() && code !== null && code <= 2) {
                try {
                    return resolve(JSON.parse(stdout) as PredictJson);
                } catch {
                    // fall through: report stderr
                }
            }
            reject(new Error(reason(stderr)));
        });
    });
}
