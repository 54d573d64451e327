// The formatter: one canonical layout, idempotent, comments kept, the shipped examples are fixed
// points, and a file with syntax errors is never touched.
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmptyFileSystem } from 'langium';
import { expectFormatting } from 'langium/test';
import { createGraftServices } from '../../src/language/graft-module.js';
import { formatGraftText } from '../../src/cli/fmt.js';
import { sharedExamples } from './lsp-test-helpers.js';

const services = createGraftServices(EmptyFileSystem).Graft;
const formatting = expectFormatting(services);

function format(text: string): string {
    const outcome = formatGraftText(text);
    if (outcome.status === 'syntax-error') throw new Error(outcome.reason);
    return outcome.text;
}

describe('canonical layout', () => {
    test('squashed text gets one statement per line, 2-space indent and a blank line between declarations', async () => {
        await formatting({
            before: 'dataset d{source mnist classes 0 .. 4 split train 80 % ,val 20%}experiment e {data d backbone small_cnn filters 32 ,64 head{pool average output softmax} train{epochs 3 batch 64}}',
            after: [
                'dataset d {',
                '  source mnist',
                '  classes 0..4',
                '  split train 80%, val 20%',
                '}',
                '',
                'experiment e {',
                '  data d',
                '  backbone small_cnn filters 32, 64',
                '  head {',
                '    pool average',
                '    output softmax',
                '  }',
                '  train {',
                '    epochs 3',
                '    batch 64',
                '  }',
                '}',
                ''
            ].join('\n')
        });
    });

    test('spread-out statements are joined, extra blank lines collapse, empty blocks close', () => {
        const before = '\n\n\ndataset   d   {\n\n\n  source\n     folder    "x"\n\n\n\n  image 28\n x 28 rgb\n}\n\n\n\nsweep s of e {\n}\n\n';
        expect(format(before)).toBe('dataset d {\n  source folder "x"\n\n  image 28 x 28 rgb\n}\n\nsweep s of e {}\n');
    });

    test('comments stay where they were: own line, trailing, before declarations, in empty blocks', () => {
        const before = [
            '// header',
            '',
            '// about d',
            'dataset d {   // trailing on the brace',
            '      // own line in the block',
            '  source mnist /* inline */ classes 0..4',
            '}',
            '// after d',
            'experiment e { head { // only a comment',
            '} }',
            '/* end */'
        ].join('\n');
        expect(format(before)).toBe([
            '// header',
            '',
            '// about d',
            'dataset d { // trailing on the brace',
            '  // own line in the block',
            '  source mnist /* inline */',
            '  classes 0..4',
            '}',
            '',
            '// after d',
            'experiment e {',
            '  head { // only a comment',
            '  }',
            '}',
            '',
            '/* end */',
            ''
        ].join('\n'));
    });

    test('formatting is idempotent on every example and on squashed variants of them', () => {
        for (const file of readdirSync(sharedExamples).filter((f) => f.endsWith('.graft') || f === 'invalid.graft.txt')) {
            const text = readFileSync(join(sharedExamples, file), 'utf8');
            const once = format(text);
            expect(format(once), file).toBe(once);
            // Squash all layout (comments removed first, since `//` needs its line end).
            const squashed = text.replace(/(^|\s)\/\/[^\n]*/g, ' ').replace(/\s+/g, ' ');
            const formatted = format(squashed);
            expect(format(formatted), `${file} squashed`).toBe(formatted);
        }
    });

    test('every shipped .graft example is already in the canonical layout', () => {
        for (const file of readdirSync(sharedExamples).filter((f) => f.endsWith('.graft'))) {
            const text = readFileSync(join(sharedExamples, file), 'utf8');
            expect(format(text), file).toBe(text);
        }
    });

    test('a squashed example formats back to the shipped file (comments aside)', () => {
        const text = readFileSync(join(sharedExamples, 'fashion-finetune.graft'), 'utf8');
        const body = text.replace(/^\/\/[^\n]*\n/gm, '').replace(/^\n/, '');
        expect(format(body.replace(/\s+/g, ' '))).toBe(body);
    });

    test('CRLF files keep CRLF', () => {
        expect(format('dataset d {\r\nsource mnist\r\n}\r\n')).toBe('dataset d {\r\n  source mnist\r\n}\r\n');
    });
});

describe('safety', () => {
    test('a file with syntax errors is refused, with the place of the error', () => {
        const outcome = formatGraftText('dataset d {\n  source folder\n}\n');
        expect(outcome.status).toBe('syntax-error');
        expect(outcome.status === 'syntax-error' ? outcome.reason : '').toMatch(/^line 3:1: /);
        expect(formatGraftText('dataset d { source mnist ยง }').status).toBe('syntax-error');
    });

    test('the language server returns no edits for a broken file', async () => {
        await formatting({ before: 'dataset d {\n      source\n}', after: 'dataset d {\n      source\n}' });
    });

    test('range formatting only touches the range', async () => {
        await formatting({
            before: 'dataset a {\nsource mnist\n}\ndataset b {\nsource mnist\n}\n',
            range: { start: { line: 3, character: 0 }, end: { line: 5, character: 1 } },
            after: 'dataset a {\nsource mnist\n}\n\ndataset b {\n  source mnist\n}\n'
        });
    });
});
