// `source csv "<file.csv>" images "<dir>"`: a `file` column plus label columns. The column named
// `label` or `labels` is the default (else the first label column); a multi-label dataset's
// default cell holds `;`-separated labels. Other columns are single-label targets for named heads.

import { promises as fs } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DatasetPlan } from '../../../core/plan/types.js';
import { dataError, describeError, type SkipLog } from '../errors.js';
import type { RawSample, SourceListing } from '../types.js';

const FILE_COLUMN = 'file';

export function splitMultiLabel(cell: string): string[] {
    return [...new Set(cell.split(';').map((s) => s.trim()).filter((s) => s.length > 0))];
}

export async function listCsv(plan: DatasetPlan, source: { file: string; images: string }, log: SkipLog): Promise<SourceListing> {
    let text: string;
    try {
        text = await fs.readFile(source.file, 'utf8');
    } catch (e) {
        throw dataError(plan, `cannot read the CSV file ${source.file} (${describeError(e)}). Check the path in \`source csv\`.`);
    }
    let rows: string[][];
    let lines: number[];
    try {
        const parsed = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as {
            record: string[];
            info: { lines: number };
        }[];
        rows = parsed.map((p) => p.record);
        lines = parsed.map((p) => p.info.lines);
    } catch (e) {
        throw dataError(plan, `the CSV file ${source.file} cannot be parsed: ${describeError(e)}. Fix the quoting on that line.`);
    }
    if (rows.length === 0) throw dataError(plan, `the CSV file ${source.file} is empty. It needs a header row: file,label.`);
    const header = rows[0].map((h) => h.trim());
    const fileIdx = header.findIndex((h) => h.toLowerCase() === FILE_COLUMN);
    if (fileIdx < 0) {
        throw dataError(plan, `the CSV file ${source.file} has no \`file\` column (header: ${header.join(', ')}). Name the column with image paths \`file\`.`);
    }
    const columns = header.filter((_, i) => i !== fileIdx && header[i].length > 0);
    if (columns.length === 0) {
        throw dataError(plan, `the CSV file ${source.file} has no label column (header: ${header.join(', ')}). Add a \`label\` column.`);
    }
    const defaultColumn = columns.find((c) => c.toLowerCase() === 'labels') ?? columns.find((c) => c.toLowerCase() === 'label') ?? columns[0];
    const multi = plan.task === 'multi_label';

    const samples: RawSample[] = [];
    const seen = new Set<string>();
    const checks: Promise<void>[] = [];
    for (let r = 1; r < rows.length; r++) {
        const row = rows[r];
        const where = `${source.file}:${lines[r]}`;
        const fileCell = (row[fileIdx] ?? '').trim();
        if (!fileCell) {
            log.skip(where, 'row has no file name');
            continue;
        }
        const path = isAbsolute(fileCell) ? fileCell : join(source.images, fileCell);
        if (seen.has(path)) {
            log.skip(where, `${fileCell} is listed again (first occurrence kept)`);
            continue;
        }
        seen.add(path);
        const labels: Record<string, string[]> = {};
        for (const col of columns) {
            const cell = (row[header.indexOf(col)] ?? '').trim();
            labels[col] = col === defaultColumn && multi ? splitMultiLabel(cell) : cell ? [cell] : [];
        }
        const main = labels[defaultColumn];
        if (!multi && main.length === 0) {
            log.skip(path, `no label in column "${defaultColumn}" (${where})`);
            continue;
        }
        if (!multi && main[0].includes(';')) {
            log.skip(path, `several labels "${main[0]}" in a single-label dataset (${where}); add \`task multi_label\` to the dataset`);
            continue;
        }
        const sample: RawSample = { key: relative(source.images, path), origin: path, source: { kind: 'file', path }, labels };
        samples.push(sample);
        checks.push(
            fs.access(path).catch(() => {
                log.skip(path, `listed in ${where} but the file does not exist`);
            })
        );
    }
    await Promise.all(checks);
    return {
        samples: samples.filter((s) => !log.has(s.origin)),
        root: source.images,
        columns,
        defaultColumn,
        presplit: false
    };
}
