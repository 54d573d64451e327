// Generates a realistic Graft workspace for the language benchmark: 50 files of about 40 lines,
// each with a dataset and an experiment (a few with a fine-tuning stage or a sweep), names
// referenced across files (`data`, `backbone <experiment>`, `adapt to`, `evaluate on`, `of`),
// zoo backbones with real layer names in freezing statements, and small image folders on disk
// so that path and class checks do real work.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedWorkspace {
    dir: string;
    files: string[];
    lines: number;
}

const CLASSES = ['cat', 'dog', 'bird'];

function datasetBlock(i: number): string[] {
    const name = `data_${i}`;
    if (i % 3 === 0) {
        return [
            `dataset ${name} {`,
            '  source mnist',
            `  classes ${i % 5}..${(i % 5) + 4}`,
            '  image 28 x 28 grayscale',
            '  normalize unit',
            '  split train 70%, val 15%, test 15% stratified',
            '}'
        ];
    }
    return [
        `dataset ${name} {`,
        `  source folder "data/set_${i % 5}"`,
        i % 2 === 0 ? '  image 96 x 96 rgb' : '  image 32 x 32 rgb',
        '  normalize symmetric',
        '  split train 60%, val 20%, test 20% stratified',
        '  augment {',
        '    flip horizontal',
        '    zoom 0.1',
        '  }',
        '}'
    ];
}

function experimentBlock(i: number, n: number): string[] {
    const data = `data_${i}`;
    const lines = [`experiment exp_${i} {`, `  data ${data}`];
    const folder = i % 3 !== 0;
    if (i % 4 === 1 && i > 1) {
        // Reuse the trained backbone of an experiment in another file.
        lines.push(`  backbone exp_${(i + n - 3) % n}`, '  freeze all');
    } else if (folder && i % 2 === 0) {
        lines.push('  backbone mobilenet_v2 alpha 0.35 weights none', '  freeze until "block_12_add"', '  batchnorm frozen');
    } else if (folder) {
        lines.push('  backbone resnet18 weights none', '  freeze matching "conv2_*"');
    } else {
        lines.push('  backbone small_cnn filters 16, 32', '  freeze layers 0..3');
    }
    lines.push(
        '  head {',
        '    pool average',
        '    dense 64 relu',
        '    dropout 0.2',
        '    output softmax',
        '  }',
        '  loss crossentropy smoothing 0.1',
        '  optimizer adam lr 1e-3',
        '  schedule cosine warmup 1',
        '  train {',
        '    epochs 5',
        '    batch 32',
        '    early_stop val_loss patience 2',
        '  }'
    );
    if (folder && i % 2 === 0) {
        lines.push('  stage fine_tune {', '    unfreeze from "block_13_expand"', '    optimizer adam lr 1e-5', '    epochs 2', '  }');
    }
    lines.push(`  evaluate on data_${(i + 7) % n}`, '  metrics accuracy, f1 macro, confusion', `  seed ${i}`, '}');
    return lines;
}

function sweepBlock(i: number): string[] {
    return [`sweep sweep_${i} of exp_${i} {`, '  vary lr 1e-2, 1e-3', '  vary batch 16, 32', '  objective max val_accuracy', '}'];
}

/** Writes the workspace into `dir` (which must exist) and returns its files. */
export function generateWorkspace(dir: string, fileCount = 50, targetLines = 2000): GeneratedWorkspace {
    for (let s = 0; s < 5; s++) {
        for (const c of CLASSES) {
            const classDir = join(dir, 'data', `set_${s}`, c);
            mkdirSync(classDir, { recursive: true });
            // Only names and counts matter to the editor; the files need not be decodable.
            for (let k = 0; k < 12; k++) writeFileSync(join(classDir, `${c}_${k}.png`), '');
        }
    }
    const files: string[] = [];
    let lines = 0;
    const perFile = Math.round(targetLines / fileCount);
    for (let i = 0; i < fileCount; i++) {
        const body = [`// Spec ${i}: generated for the language benchmark.`, '', ...datasetBlock(i), '', ...experimentBlock(i, fileCount)];
        if (body.length + 6 <= perFile || i % 4 === 3) body.push('', ...sweepBlock(i));
        // Pad with documentation comments to the target size, as real specs carry notes.
        while (body.length < perFile) body.splice(1, 0, `// note ${body.length}: why these settings were chosen.`);
        const file = join(dir, `spec_${String(i).padStart(2, '0')}.graft`);
        writeFileSync(file, body.join('\n') + '\n');
        files.push(file);
        lines += body.length;
    }
    return { dir, files, lines };
}
