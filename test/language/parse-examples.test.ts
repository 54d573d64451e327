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

function parsesAll(dir: string): void {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.graft') || f === 'invalid.graft.txt') : [];
    for (const file of files) {
        test(file, async () => {
            const doc = await parse(readFileSync(join(dir, file), 'utf8'));
            const errors = [...doc.parseResult.lexerErrors.map((e) => e.message), ...doc.parseResult.parserErrors.map((e) => `${e.token.startLine}: ${e.message}`)];
            expect(errors).toEqual([]);
            expect(doc.parseResult.value.elements.length).toBeGreaterThan(0);
        });
    }
}

describe("the project's examples parse", () => parsesAll(projectExamples));

const haveShared = existsSync(sharedExamples);
describe.skipIf(!haveShared)(`the shared reference examples parse${haveShared ? '' : ' (skipped: ../shared/examples is not beside this clone)'}`, () => {
    if (haveShared) parsesAll(sharedExamples);
    else test('every file', () => undefined);
});
