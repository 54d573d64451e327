// Every shipped example parses without lexer or parser errors.
import { describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmptyFileSystem } from 'langium';
import { parseHelper } from 'langium/test';
import { createGraftServices } from '../../src/language/graft-module.js';
import type { Model } from '../../src/language/generated/ast.js';

const projectExamples = join(import.meta.dirname, '../../examples');
// The reference copy lives beside the repository in the developers' layout, not in a lone clone.
const sharedExamples = join(import.meta.dirname, '../../../shared/examples');
const services = createGraftServices(EmptyFileSystem).Graft;
const parse = parseHelper<Model>(services);

const exampleFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.graft') || f === 'invalid.graft.txt').sort() : []);

async function expectParses(path: string): Promise<void> {
    const doc = await parse(readFileSync(path, 'utf8'));
    const errors = [...doc.parseResult.lexerErrors.map((e) => e.message), ...doc.parseResult.parserErrors.map((e) => `${e.token.startLine}: ${e.message}`)];
    expect(errors).toEqual([]);
    expect(doc.parseResult.value.elements.length).toBeGreaterThan(0);
}

describe("the project's examples parse", () => {
    for (const file of exampleFiles(projectExamples)) test(file, () => expectParses(join(projectExamples, file)));
});

// The reference copies, file by file under the project's example names, so that a clone alone
// and the developers' layout run the same number of tests (here skipped, saying why).
const haveShared = existsSync(sharedExamples);
const why = haveShared ? '' : ' (skipped: ../shared/examples is not beside this clone)';
describe(`the shared reference examples parse${why}`, () => {
    test.skipIf(!haveShared)('every shared example has a copy in examples/', () => {
        expect(exampleFiles(sharedExamples).filter((f) => !exampleFiles(projectExamples).includes(f))).toEqual([]);
    });
    for (const file of exampleFiles(projectExamples)) {
        const path = join(sharedExamples, file);
        // negative-transfer.graft is the project's own; the reference set has no copy of it
        test.skipIf(!existsSync(path))(file, () => expectParses(path));
    }
});
