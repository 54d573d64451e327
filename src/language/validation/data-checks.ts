// Checks of `dataset` declarations: splits, paths on disk, classes, shots, value ranges.
import type { ValidationAcceptor } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
    isFolderSource,
    isImageProp,
    isMnistSource,
    type AugmentOp,
    type ClassesProp,
    type CsvSource,
    type Dataset,
    type FolderSource,
    type IdxSource,
    type ImageProp,
    type ScalarAugmentOp,
    type ShotsProp,
    type SplitProp
} from '../generated/ast.js';
import { fmt, isPositiveInt } from './check-utils.js';
import { Codes, report } from './codes.js';
import { csvFacts, defaultLabelColumn, fileColumn, pathKind } from './disk-facts.js';
import { imagesPerClassIn, resolveSpecPath, sourceClassCounts, sourceOf, splitsOf, taskOf } from './dataset-facts.js';

/** Allowed intervals of augmentation strengths: [min, max], inclusive. */
const AUGMENT_LIMITS: Record<ScalarAugmentOp['kind'], [number, number, string]> = {
    rotate: [0, 180, 'degrees'],
    zoom: [0, 1, 'a fraction'],
    shift: [0, 1, 'a fraction of width/height'],
    brightness: [0, 1, 'a fraction'],
    contrast: [0, 1, 'a fraction'],
    crop: [0, 0.9, 'a fraction of each side'],
    noise: [0, 1, 'a standard deviation in normalised units']
};

function sumOf(split: SplitProp): number {
    // Percentages may be fractional; round away float noise (33.3 + 33.3 + 33.4).
    return Number(split.parts.reduce((s, p) => s + p.percent, 0).toFixed(6));
}

function spanOf(split: SplitProp): Range | undefined {
    const first = split.parts[0]?.$cstNode?.range;
    const last = split.parts[split.parts.length - 1]?.$cstNode?.range;
    return first && last ? { start: first.start, end: last.end } : split.$cstNode?.range;
}

export class DataChecks {
    checkSplit = (split: SplitProp, accept: ValidationAcceptor): void => {
        // A statement still being typed has a parse error already; check only complete ones.
        if (split.parts.length === 0 || split.parts.some((p) => p.percent === undefined || p.split === undefined)) return;
        const seen = new Map<string, number>();
        split.parts.forEach((part, index) => {
            const earlier = seen.get(part.split);
            if (earlier !== undefined) {
                report(accept, 'error', Codes.splitDuplicate, `\`${part.split}\` appears twice in this split; name each of train, val, test at most once`, {
                    node: part,
                    property: 'split'
                });
            } else {
                seen.set(part.split, index);
            }
            if (!(part.percent > 0 && part.percent <= 100)) {
                report(accept, 'error', Codes.range, `a split part must be more than 0% and at most 100%, not ${fmt(part.percent)}%`, { node: part, property: 'percent' });
            }
        });
        const sum = sumOf(split);
        if (sum !== 100) {
            const last = split.parts[split.parts.length - 1];
            const fixed = last.percent + (100 - sum);
            report(accept, 'error', Codes.splitSum, `splits sum to ${fmt(sum)}%, not 100%`, { node: split, range: spanOf(split) }, fixed > 0 ? { suggestion: fmt(Number(fixed.toFixed(6))) } : {});
        }
        const dataset = split.$container;
        const source = sourceOf(dataset);
        if (isFolderSource(source) && source.splits.length > 0) {
            report(accept, 'error', Codes.optionMismatch, `the folder is already split into ${source.splits.join(', ')}; remove \`split\` or the folder's \`splits\``, {
                node: split,
                keyword: 'split'
            });
        }
    };

    checkFolderSource = (source: FolderSource, accept: ValidationAcceptor): void => {
        if (source.path === undefined) return;
        const dir = resolveSpecPath(source, source.path);
        if (dir === undefined) return;
        const kind = pathKind(dir);
        if (kind !== 'dir') {
            report(accept, 'error', Codes.pathMissing, kind === 'file' ? `"${source.path}" is a file; \`source folder\` needs a folder with one sub-folder per class` : `folder not found: "${source.path}" (resolved to ${dir})`, {
                node: source,
                property: 'path'
            });
            return;
        }
        if (source.splits.length > 0) {
            source.splits.forEach((split, index) => {
                if (pathKind(resolve(dir, split)) !== 'dir') {
                    report(accept, 'error', Codes.pathMissing, `split folder not found: "${source.path}/${split}"`, { node: source, property: 'splits', index });
                }
            });
        } else if ((sourceClassCounts(source.$container)?.classes.length ?? 0) === 0) {
            report(accept, 'error', Codes.pathMissing, `"${source.path}" has no class sub-folders (expected <dir>/<class>/<image>)`, { node: source, property: 'path' });
        }
    };

    checkCsvSource = (source: CsvSource, accept: ValidationAcceptor): void => {
        if (source.path === undefined || source.images === undefined) return;
        const file = resolveSpecPath(source, source.path);
        const images = resolveSpecPath(source, source.images);
        if (file === undefined || images === undefined) return;
        if (pathKind(file) !== 'file') {
            report(accept, 'error', Codes.pathMissing, `CSV file not found: "${source.path}" (resolved to ${file})`, { node: source, property: 'path' });
        } else {
            const csv = csvFacts(file);
            if (!csv) {
                report(accept, 'error', Codes.csvColumns, `"${source.path}" cannot be read as CSV`, { node: source, property: 'path' });
            } else if (fileColumn(csv) === undefined || defaultLabelColumn(csv) === undefined) {
                report(accept, 'error', Codes.csvColumns, `"${source.path}" needs a \`file\` column and a label column (\`label\` or \`labels\`); its header is ${csv.header.join(', ') || '(empty)'}`, {
                    node: source,
                    property: 'path'
                });
            }
        }
        if (pathKind(images) !== 'dir') {
            report(accept, 'error', Codes.pathMissing, `images folder not found: "${source.images}" (resolved to ${images})`, { node: source, property: 'images' });
        }
    };

    checkIdxSource = (source: IdxSource, accept: ValidationAcceptor): void => {
        if (source.path === undefined) return;
        const dir = resolveSpecPath(source, source.path);
        if (dir === undefined) return;
        if (pathKind(dir) !== 'dir') {
            report(accept, 'error', Codes.pathMissing, `folder not found: "${source.path}" (resolved to ${dir})`, { node: source, property: 'path' });
            return;
        }
        let names: string[] = [];
        try {
            names = readdirSync(dir);
        } catch {
            // unreadable: reported as having no idx files below
        }
        if (!names.some((n) => /images-idx3-ubyte(\.gz)?$/.test(n)) || !names.some((n) => /labels-idx1-ubyte(\.gz)?$/.test(n))) {
            report(accept, 'error', Codes.pathMissing, `"${source.path}" holds no MNIST-format pair (e.g. train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])`, {
                node: source,
                property: 'path'
            });
        }
    };

    checkDataset = (dataset: Dataset, accept: ValidationAcceptor): void => {
        const source = sourceOf(dataset);
        const task = dataset.props.find((p) => p.$type === 'TaskProp');
        if (task && taskOf(dataset) === 'multi_label' && source && source.$type !== 'CsvSource') {
            report(accept, 'error', Codes.optionMismatch, `multi_label data needs a CSV whose \`labels\` column lists several labels per image; a ${source.$type === 'MnistSource' ? 'mnist' : source.$type === 'FolderSource' ? 'folder' : 'idx'} source has one label per image`, {
                node: task,
                property: 'task'
            });
        }
        const image = dataset.props.find(isImageProp);
        if (image) this.checkImage(image, accept);
    };

    private checkImage(image: ImageProp, accept: ValidationAcceptor): void {
        for (const property of ['height', 'width'] as const) {
            if (image[property] !== undefined && !isPositiveInt(image[property])) {
                report(accept, 'error', Codes.intRequired, `image ${property} must be a positive whole number of pixels, not ${fmt(image[property])}`, { node: image, property });
            }
        }
    }

    checkShots = (shots: ShotsProp, accept: ValidationAcceptor): void => {
        if (shots.k === undefined) return;
        if (!isPositiveInt(shots.k)) {
            report(accept, 'error', Codes.intRequired, `shots must be a positive whole number, not ${fmt(shots.k)}`, { node: shots, property: 'k' });
            return;
        }
        const dataset = shots.$container;
        const splits = splitsOf(dataset);
        if (splits.size > 0 && !splits.has('train')) {
            report(accept, 'error', Codes.optionMismatch, '`shots` keeps k training images per class, but this dataset has no train split', { node: shots, keyword: 'shots' });
            return;
        }
        const perClass = imagesPerClassIn(dataset, 'train');
        if (!perClass || perClass.size === 0) return;
        const [smallest, count] = [...perClass.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
        if (shots.k > count) {
            const where = splits.size > 0 ? ' in the train split' : '';
            report(accept, 'error', Codes.shotsTooMany, `shots ${fmt(shots.k)} per class, but class '${smallest}' has at most ${count} image${count === 1 ? '' : 's'}${where}`, {
                node: shots,
                property: 'k'
            });
        }
    };

    checkClasses = (classes: ClassesProp, accept: ValidationAcceptor): void => {
        const dataset = classes.$container;
        if (classes.range) {
            const { from, to } = classes.range;
            if (from === undefined || to === undefined) return;
            for (const property of ['from', 'to'] as const) {
                if (!Number.isInteger(classes.range[property])) {
                    report(accept, 'error', Codes.intRequired, `a class range needs whole numbers, not ${fmt(classes.range[property])}`, { node: classes.range, property });
                    return;
                }
            }
            if (from > to) {
                report(accept, 'error', Codes.range, `empty class range ${from}..${to}: the first class must not be after the last`, { node: classes, property: 'range' });
                return;
            }
        }
        const available = sourceClassCounts(dataset);
        if (!available) return;
        const known = new Set(available.classes);
        const listed = available.classes.length > 8 ? `${available.classes.slice(0, 8).join(', ')}, …` : available.classes.join(', ');
        const what = isMnistSource(sourceOf(dataset)) ? 'the MNIST digits are 0..9' : `the data has ${listed}`;
        if (classes.range) {
            const { from, to } = classes.range;
            const missing: string[] = [];
            for (let i = from; i <= to && missing.length < 5; i++) if (!known.has(String(i))) missing.push(String(i));
            if (missing.length > 0) {
                report(accept, 'error', Codes.classesUnknown, `class ${missing[0]} of ${from}..${to} is not in the data; ${what}`, { node: classes, property: 'range' });
            }
            return;
        }
        const seen = new Set<string>();
        classes.names.forEach((name, index) => {
            if (seen.has(name)) {
                report(accept, 'error', Codes.duplicateStatement, `class "${name}" is listed twice`, { node: classes, property: 'names', index });
            }
            seen.add(name);
            if (!known.has(name)) {
                report(accept, 'error', Codes.classesUnknown, `no class "${name}" in the data; ${what}`, { node: classes, property: 'names', index });
            }
        });
    };

    checkAugmentOp = (op: AugmentOp, accept: ValidationAcceptor): void => {
        if (op.$type !== 'ScalarAugmentOp' || op.kind === undefined || op.value === undefined) return;
        const [min, max, unit] = AUGMENT_LIMITS[op.kind];
        if (op.value < min || op.value > max) {
            report(accept, 'error', Codes.range, `${op.kind} must be between ${min} and ${max} (${unit}), not ${fmt(op.value)}`, { node: op, property: 'value' });
        }
    };

}
