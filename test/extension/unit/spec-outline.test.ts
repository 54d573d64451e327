import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findDeclarations } from '../../../src/extension/spec-outline.js';

const examples = join(import.meta.dirname, '../../../examples');

describe('findDeclarations (CodeLens positions)', () => {
    it('finds the three experiments of digits-transfer.graft on their lines', () => {
        const text = readFileSync(join(examples, 'digits-transfer.graft'), 'utf8');
        const lines = text.split('\n');
        const decls = findDeclarations(text);
        expect(decls.map((d) => d.name)).toEqual(['digits_pretrain', 'digits_transfer', 'digits_prototypes']);
        for (const d of decls) expect(lines[d.line]!.slice(d.column)).toMatch(new RegExp(`^experiment ${d.name}\\b`));
    });

    it('finds a sweep and the experiment it varies', () => {
        const decls = findDeclarations(readFileSync(join(examples, 'sweep.graft'), 'utf8'));
        expect(decls).toEqual([{ kind: 'sweep', name: 'digits_lr', of: 'digits_transfer', line: 1, column: 0 }]);
    });

    it('ignores comments, strings and nested words', () => {
        const text = [
            '// experiment commented {',
            '/* experiment block',
            '   comment */',
            'dataset d { source folder "experiment x" }',
            'experiment  real  {',
            '  head { experiment nested }',
            '}',
            'sweep s of real { vary lr 1e-3 }'
        ].join('\n');
        expect(findDeclarations(text).map((d) => [d.kind, d.name, d.line, d.column])).toEqual([
            ['experiment', 'real', 4, 0],
            ['sweep', 's', 7, 0]
        ]);
    });

    it('survives unfinished input', () => {
        expect(findDeclarations('experiment')).toEqual([]);
        expect(findDeclarations('experiment a { "unterminated\n/* open')).toHaveLength(1);
    });
});
