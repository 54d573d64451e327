// `graft predict <run folder|model folder> <images or folders> [--top k] [--format table|csv|json]`:
// classifies new images with a trained model, decoding and normalising them exactly as training
// did (the model's graft-model.json says how). Files that cannot be used are skipped and named on
// stderr. The work is src/runtime/predict/predict.ts, which the results panel uses too.

import { parseArgs } from 'node:util';
import { displayPath } from '../core/display-path.js';

const HELP = `usage: graft predict <run-dir|model-dir> <image or folder> … [--top K] [--format table|csv|json] [--backend wasm|cpu|…]

Classifies images with a trained model: a run folder (runs/<experiment>/<run-id>) or an exported
model folder (model.json + graft-model.json, e.g. the spec's \`export "<dir>"\`). Images are
decoded, resized and normalised as the experiment's training images were; folders are searched
recursively. Files that are not usable images are skipped and listed on stderr.

  --top K       classes to show per image and output (default 3)
  --format F    table (default), csv (file,output,rank,class,probability,predicted) or json
  --backend X   the TensorFlow.js backend (default: the fastest available)

Exit: 0 every image classified; 1 some files skipped (the others are printed); 2 usage, an
unusable model folder, or no usable image at all.`;

type Format = 'table' | 'csv' | 'json';

const csvCell = (v: string | number | boolean): string => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const pct = (p: number): string => `${(p * 100).toFixed(1)}%`;

export async function predict(args: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args,
            allowPositionals: true,
            options: {
                top: { type: 'string' },
                format: { type: 'string', default: 'table' },
                backend: { type: 'string' },
                help: { type: 'boolean', short: 'h', default: false }
            }
        });
    } catch (err) {
        console.error(`graft predict: ${(err as Error).message}\n\n${HELP}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log(HELP);
        return 0;
    }
    const usage = (problem: string): number => {
        console.error(`graft predict: ${problem}\n\n${HELP}`);
        return 2;
    };
    const [modelPath, ...inputs] = parsed.positionals;
    if (!modelPath || inputs.length === 0) return usage('give a run or model folder, then one or more images or folders');
    const format = parsed.values.format as Format;
    if (!['table', 'csv', 'json'].includes(format)) return usage(`--format must be table, csv or json, not "${format}"`);
    let top = 3;
    if (parsed.values.top !== undefined) {
        top = Number(parsed.values.top);
        if (!Number.isInteger(top) || top < 1) return usage(`--top must be a whole number ≥ 1, not "${parsed.values.top}"`);
    }

    const { chooseBackend } = await import('../runtime/runs/backend-choice.js');
    const { loadPredictor, predictPaths } = await import('../runtime/predict/predict.js');
    const { ModelFolderError } = await import('../runtime/predict/model-metadata.js');
    await chooseBackend(parsed.values.backend, 'auto', (m) => console.error(`graft predict: ${m}`));
    let predictor;
    try {
        predictor = await loadPredictor(modelPath);
    } catch (err) {
        if (err instanceof ModelFolderError) {
            console.error(`graft predict: ${err.message}`);
            return 2;
        }
        throw err;
    }
    try {
        const { metadata } = predictor;
        const progress = format === 'table' && process.stderr.isTTY ? (done: number, total: number) => process.stderr.write(`\r${done}/${total} images`) : undefined;
        const result = await predictPaths(predictor, inputs, { top, progress });
        if (progress) process.stderr.write('\n');
        const multi = metadata.outputs.length > 1;
        if (format === 'json') {
            const out = {
                model: { dir: predictor.folder.dir, experiment: metadata.experiment, runId: metadata.runId, graft: metadata.graft, metadataFrom: predictor.folder.metadataFrom },
                predictions: result.predictions,
                skipped: result.skipped
            };
            console.log(JSON.stringify(out, null, 2));
        } else if (format === 'csv') {
            const lines = ['file,output,rank,class,probability,predicted'];
            for (const p of result.predictions) {
                for (const o of p.outputs) {
                    o.top.forEach((s, r) => lines.push([p.file, o.head, r + 1, s.class, s.probability, o.predicted.includes(s.class)].map(csvCell).join(',')));
                }
            }
            console.log(lines.join('\n'));
        } else {
            const rows = result.predictions.map((p) => [
                displayPath(p.file),
                ...p.outputs.map((o) => {
                    const scores = o.top.map((s) => `${s.class} ${pct(s.probability)}`).join(', ');
                    const label = o.task === 'multi_label' ? `[${o.predicted.join(', ') || 'none'}] ${scores}` : scores;
                    return multi ? `${o.head}: ${label}` : label;
                })
            ]);
            const width = Math.max(4, ...rows.map((r) => r[0].length));
            const header = ['file'.padEnd(width), multi ? 'outputs' : metadata.outputs[0].task === 'multi_label' ? `[predicted] top ${top}` : `top ${top}`];
            console.log(header.join('  '));
            for (const r of rows) console.log([r[0].padEnd(width), r.slice(1).join('  ')].join('  '));
        }
        for (const s of result.skipped) console.error(`graft predict: skipped ${displayPath(s.file)}: ${s.reason}`);
        const n = result.predictions.length;
        if (result.skipped.length > 0) console.error(`graft predict: ${n} image${n === 1 ? '' : 's'} classified, ${result.skipped.length} file${result.skipped.length === 1 ? '' : 's'} skipped`);
        if (n === 0) {
            console.error(`graft predict: no usable image in ${inputs.map(displayPath).join(', ')} (JPEG, PNG, WebP, GIF, TIFF or AVIF)`);
            return 2;
        }
        return result.skipped.length > 0 ? 1 : 0;
    } finally {
        predictor.dispose();
    }
}
