// No message a user reads shows `undefined`, `null`, `NaN` or `[object Object]`: over the
// repository's examples, the invalid examples and the keyword-names spec, every diagnostic, the
// hover at every token, the completion items after every token, the code actions of every
// diagnostic, `graft check` (text and JSON) and `graft plan` (text and JSON, every experiment).
// Every prefix of the same files is covered by robustness.test.ts with the same scanner.
import { cpSync, chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CstUtils, URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { clearDocuments } from 'langium/test';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createGraftServices } from '../../src/language/graft-module.js';
import { isExperiment, type Model } from '../../src/language/generated/ast.js';
import { check } from '../../src/cli/check.js';
import { plan } from '../../src/cli/plan.js';
import { codeActionsOf, hoverText, MessageScan } from './message-scan.js';

const projectExamples = join(import.meta.dirname, '../../examples');
const invalidFixtures = join(import.meta.dirname, '../fixtures/invalid');
const keywordFixture = join(import.meta.dirname, '../fixtures/keyword-names/keyword-names.graft');

/** A copy of examples/ with the invalid examples beside the others (their data paths resolve there). */
let workspace = '';
beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'graft-messages-'));
    cpSync(projectExamples, workspace, { recursive: true, filter: (src) => !src.includes(`${join(projectExamples, 'runs')}`) });
    chmodSync(workspace, 0o755);
    // examples/invalid.graft.txt is the repository's copy of the reference's invalid examples.
    cpSync(join(projectExamples, 'invalid.graft.txt'), join(workspace, 'invalid.graft'));
    for (const f of readdirSync(invalidFixtures)) cpSync(join(invalidFixtures, f), join(workspace, f));
    cpSync(keywordFixture, join(workspace, 'keyword-names.graft'));
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const specFiles = (): string[] => readdirSync(workspace).filter((f) => f.endsWith('.graft')).sort().map((f) => join(workspace, f));

/** Everything the command writes to stdout and stderr (console and direct writes), and what it throws. */
async function capture(run: () => Promise<number>): Promise<{ code: number | string; out: string; err: string }> {
    let out = '';
    let err = '';
    const spies = [
        vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += chunk.toString()), true)),
        vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += chunk.toString()), true)),
        vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`)),
        vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`)),
        vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`))
    ];
    try {
        return { code: await run(), out, err };
    } catch (e) {
        return { code: `threw: ${(e as Error).message}`, out, err };
    } finally {
        for (const s of spies) s.mockRestore();
    }
}

describe('messages never show undefined, null, NaN or [object Object]', () => {
    test('diagnostics, hovers at every token, completion after every token and code actions, over whole files', async () => {
        const { Graft: services } = createGraftServices(NodeFileSystem);
        const factory = services.shared.workspace.LangiumDocumentFactory;
        const docs: LangiumDocument<Model>[] = specFiles().map((f) => {
            const doc = factory.fromString<Model>(readFileSync(f, 'utf8'), URI.file(f));
            services.shared.workspace.LangiumDocuments.addDocument(doc);
            return doc;
        });
        await services.shared.workspace.DocumentBuilder.build(docs, { validation: true });
        const scan = new MessageScan();
        try {
            for (const doc of docs) {
                const file = basename(doc.uri.fsPath);
                scan.diagnostics(file, doc.diagnostics ?? []);
                scan.actions(file, await codeActionsOf(services, doc));
                const uri = { uri: doc.uri.toString() };
                for (const leaf of CstUtils.flattenCst(doc.parseResult.value.$cstNode!)) {
                    if (leaf.length === 0) continue;
                    const where = `${file}:${leaf.range.start.line + 1}:${leaf.range.start.character + 1}`;
                    if (!leaf.hidden) {
                        const inside = doc.textDocument.positionAt(leaf.offset + Math.floor(leaf.length / 2));
                        scan.hover(where, hoverText(await services.lsp.HoverProvider!.getHoverContent(doc, { textDocument: uri, position: inside })));
                    }
                    const after = doc.textDocument.positionAt(leaf.end);
                    scan.completion(where, (await services.lsp.CompletionProvider!.getCompletion(doc, { textDocument: uri, position: after }))?.items ?? []);
                }
            }
        } finally {
            await clearDocuments(services, docs);
        }
        expect(scan.count).toBeGreaterThan(1000);
        expect(scan.bad.slice(0, 20), `${scan.bad.length} bad messages`).toEqual([]);
    });

    test('graft check and graft plan, text and JSON, on every experiment of every file', async () => {
        const scan = new MessageScan();
        const outputs: Array<[string, Awaited<ReturnType<typeof capture>>, boolean]> = [];
        for (const format of ['text', 'json']) {
            outputs.push([`graft check --format ${format} <workspace>`, await capture(() => check(['--format', format, workspace])), format === 'json']);
            outputs.push([`graft check --format ${format} examples`, await capture(() => check(['--format', format, projectExamples])), format === 'json']);
        }
        const { Graft: services } = createGraftServices(NodeFileSystem);
        for (const file of specFiles()) {
            const model = services.parser.LangiumParser.parse<Model>(readFileSync(file, 'utf8')).value;
            for (const experiment of model.elements.filter(isExperiment)) {
                for (const format of ['text', 'json']) {
                    const name = `graft plan ${basename(file)} --experiment ${experiment.name} --format ${format}`;
                    outputs.push([name, await capture(() => plan([file, '--experiment', experiment.name, '--format', format])), format === 'json']);
                }
            }
        }
        let planned = 0;
        for (const [what, result, json] of outputs) {
            scan.text(`${what} exit`, String(result.code));
            scan.text(`${what} stderr`, result.err);
            if (json && result.code === 0 && result.out.trim()) scan.json(`${what} stdout`, JSON.parse(result.out));
            else scan.text(`${what} stdout`, result.out);
            if (what.startsWith('graft plan') && result.code === 0) planned++;
        }
        // Most experiments plan; those of invalid.graft print why they cannot.
        expect(planned).toBeGreaterThan(10);
        expect(outputs.some(([what, r]) => what.includes('invalid.graft') && r.code !== 0 && r.err.length > 0)).toBe(true);
        expect(scan.bad.slice(0, 20), `${scan.bad.length} bad messages`).toEqual([]);
    }, 180_000);
});
