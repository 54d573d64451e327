// Every shipped example parses without lexer or parser errors.
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmptyFileSystem } from 'langium';
import { parseHelper } from 'langium/test';
import { createGraftServices } from '../../src/language/graft-module.js';
import type { Model } from '../../src/language/generated/ast.js';

const sharedExamples = join(import.meta.dirname, '../../../shared/examples');
const services = createGraftServices(EmptyFileSystem).Graft;
const parse = parseHelper<Model>(services);

describe('the reference examples parse', () => {
    const files = readdirSync(sharedExamples).filter((f) => f.endsWith('.graft') || f === 'invalid.graft.txt');
    for (const file of files) {
        test(file, async () => {
            const doc = await parse(readFileSync(join(sharedExamples, file), 'utf8'));
            const errors = [...doc.parseResult.lexerErrors.map((e) => e.message), ...doc.parseResult.parserErrors.map((e) => `${e.token.startLine}: ${e.message}`)];
            expect(errors).toEqual([]);
            expect(doc.parseResult.value.elements.length).toBeGreaterThan(0);
        });
    }
});
