// Shared by the validation and code-action tests: a small data folder on disk (so that path,
// class and shot checks see real files), Graft services, and a `validate` helper built on
// Langium's validationHelper that places the spec in that folder and clears the workspace
// between cases (names are global, so one case's declarations must not leak into the next).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmptyFileSystem, URI } from 'langium';
import { clearDocuments, parseHelper, validationHelper, type ValidationResult } from 'langium/test';
import { afterAll, beforeAll, describe as vitestDescribe, expect, test } from 'vitest';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import { createGraftServices } from '../../src/language/graft-module.js';
import type { Model } from '../../src/language/generated/ast.js';

/** Classes and image counts of the fixture ImageFolder `data/shapes`. */
export const SHAPES = { circle: 20, square: 20, triangle: 12 } as const;

const layer = (className: string, name: string, config: Record<string, unknown>) => ({ class_name: className, config: { name, ...config } });

/** A minimal tfjs layers model.json (Sequential, Keras 2 topology): layers stem_conv, stem_relu, stem_pool. */
const TINY_MODEL_JSON = {
    format: 'layers-model',
    modelTopology: {
        class_name: 'Sequential',
        config: {
            name: 'tiny',
            layers: [
                layer('Conv2D', 'stem_conv', { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', batch_input_shape: [null, 32, 32, 3] }),
                layer('ReLU', 'stem_relu', {}),
                layer('MaxPooling2D', 'stem_pool', { pool_size: [2, 2], strides: [2, 2], padding: 'valid' })
            ]
        }
    },
    weightsManifest: []
};

/**
 * Creates `<tmp>/data/shapes/<class>/*.png` (empty files: the validator counts images by name and
 * never decodes them), a pre-split folder, a CSV with a multi-label column, an empty folder and
 * weights/model.json.
 */
export function createFixture(): string {
    const root = mkdtempSync(join(tmpdir(), 'graft-validation-'));
    for (const [cls, n] of Object.entries(SHAPES)) {
        mkdirSync(join(root, 'data/shapes', cls), { recursive: true });
        for (let i = 0; i < n; i++) writeFileSync(join(root, 'data/shapes', cls, `${cls}_${i}.${i % 3 === 0 ? 'jpg' : 'png'}`), '');
        writeFileSync(join(root, 'data/shapes', cls, 'notes.txt'), 'not an image');
        for (const split of ['train', 'test']) {
            mkdirSync(join(root, 'data/presplit', split, cls), { recursive: true });
            for (let i = 0; i < (split === 'train' ? 8 : 4); i++) writeFileSync(join(root, 'data/presplit', split, cls, `${i}.png`), '');
        }
    }
    mkdirSync(join(root, 'data/empty'), { recursive: true });
    mkdirSync(join(root, 'data/tags/images'), { recursive: true });
    const rows = ['file,labels,count'];
    for (let i = 0; i < 30; i++) rows.push(`img_${i}.png,${i % 2 === 0 ? 'cat;dog' : 'dog'},${1 + (i % 2)}`);
    writeFileSync(join(root, 'data/tags/labels.csv'), rows.join('\n') + '\n');
    writeFileSync(join(root, 'data/tags/broken.csv'), 'name,kind\na,b\n');
    mkdirSync(join(root, 'weights'), { recursive: true });
    writeFileSync(join(root, 'weights/model.json'), JSON.stringify(TINY_MODEL_JSON));
    return root;
}

export function removeFixture(root: string): void {
    rmSync(root, { recursive: true, force: true });
}

export const services = createGraftServices(EmptyFileSystem).Graft;
const validateDocument = validationHelper<Model>(services);
const parseDocument = parseHelper<Model>(services);

/**
 * Validates `text` as `<root>/<name>` with `others` (file name → text) in the same workspace.
 * Parsing errors fail the test: every case must be syntactically valid Graft.
 */
export async function validate(root: string, text: string, others: Record<string, string> = {}, name = 'spec.graft'): Promise<ValidationResult<Model>> {
    await clearDocuments(services);
    for (const [file, content] of Object.entries(others)) {
        await parseDocument(content, { documentUri: URI.file(join(root, file)).toString() });
    }
    return validateDocument(text, { documentUri: URI.file(join(root, name)).toString(), failOnParsingErrors: true });
}

export function codesOf(diagnostics: readonly Diagnostic[]): string[] {
    return diagnostics.map((d) => String(d.code ?? (d.data as { code?: string } | undefined)?.code));
}

/** Readable diagnostics for failure messages: `line:col severity code: message`. */
export function listDiagnostics(diagnostics: readonly Diagnostic[]): string[] {
    return diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info'} ${d.code}: ${d.message}`);
}

/** The diagnostics with `code`; fails unless there is exactly one. */
export function single(result: ValidationResult<Model>, code: string): Diagnostic {
    const found = result.diagnostics.filter((d) => d.code === code);
    expect(found.length, listDiagnostics(result.diagnostics).join('\n')).toBe(1);
    return found[0];
}

/** The text a diagnostic's range covers. */
export function covered(result: ValidationResult<Model>, diagnostic: Diagnostic): string {
    return result.document.textDocument.getText(diagnostic.range);
}

/** A clean spec on the fixture data, which the cases below vary one statement at a time. */
export const BASE_DATASET = `dataset shapes {
  source folder "data/shapes"
  image 32 x 32 rgb
  split train 60%, val 20%, test 20% stratified
}
`;

export const BASE_EXPERIMENT = `experiment e {
  data shapes
  backbone small_cnn filters 8, 16
  head {
    pool average
    output softmax
  }
  optimizer adam lr 1e-3
  train {
    epochs 1
    batch 4
  }
}
`;

/** Multi-label data on the fixture's CSV, and an experiment `t` on it with `output <output>` and `extra` lines. */
export function tagsSpec(output: 'softmax' | 'sigmoid', extra = ''): string {
    return `dataset tags {
  source csv "data/tags/labels.csv" images "data/tags/images"
  task multi_label
  image 32 x 32 rgb
  split train 80%, val 20%
}
experiment t {
  data tags
  backbone small_cnn filters 8
  head {
    pool average
    output ${output}
  }
${extra}}
`;
}

/** BASE_DATASET + BASE_EXPERIMENT with `replace` pairs applied (each must match). */
export function spec(...replacements: Array<[string, string]>): string {
    let text = BASE_DATASET + '\n' + BASE_EXPERIMENT;
    for (const [from, to] of replacements) {
        if (!text.includes(from)) throw new Error(`fixture spec has no ${JSON.stringify(from)}`);
        text = text.replace(from, to);
    }
    return text;
}

/** One validation code shown failing and passing: `bad` has exactly one diagnostic with `code`, `good` has none at all. */
export interface CodeCase {
    code: string;
    name: string;
    bad: string;
    good: string;
    /** The exact text the diagnostic's range must cover. */
    covers: string;
    severity?: 'error' | 'warning';
    message?: RegExp;
    /** Other workspace files (name → text), present in both runs unless overridden below. */
    others?: Record<string, string>;
    badOthers?: Record<string, string>;
    goodOthers?: Record<string, string>;
}

/** Defines one test per case over a fresh fixture folder. */
export function defineCodeCases(title: string, cases: CodeCase[]): void {
    let root = '';
    beforeAll(() => {
        root = createFixture();
    });
    afterAll(() => removeFixture(root));
    vitestDescribe(title, () => {
        for (const c of cases) {
            test(`${c.code}: ${c.name}`, async () => {
                const bad = await validate(root, c.bad, c.badOthers ?? c.others);
                const diagnostic = single(bad, c.code);
                expect(listDiagnostics(bad.diagnostics), 'no other diagnostic').toHaveLength(1);
                expect(diagnostic.severity).toBe(c.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error);
                expect(covered(bad, diagnostic)).toBe(c.covers);
                // Unknown names come from Langium's linker, which keeps its own code in `data`.
                expect((diagnostic.data as { code?: string }).code).toBe(c.code === 'unknown-name' ? 'linking-error' : c.code);
                if (c.message) expect(diagnostic.message).toMatch(c.message);
                const good = await validate(root, c.good, c.goodOthers ?? c.others);
                expect(listDiagnostics(good.diagnostics)).toEqual([]);
            });
        }
    });
}
