// The hand-written TextMate grammar (syntaxes/graft.tmLanguage.json): it covers every keyword of
// the Langium grammar, its regexes compile, and a small scanner that follows TextMate's rules
// (earliest match wins, ties go to the first pattern; begin/end regions) gives the expected
// scopes on real lines.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Rule {
    include?: string;
    match?: string;
    begin?: string;
    end?: string;
    name?: string;
    captures?: Record<string, { name: string }>;
    patterns?: Rule[];
}
interface Grammar {
    scopeName: string;
    patterns: Rule[];
    repository: Record<string, { patterns: Rule[] }>;
}

const repo = join(import.meta.dirname, '../..');
const grammar = JSON.parse(readFileSync(join(repo, 'syntaxes/graft.tmLanguage.json'), 'utf8')) as Grammar;
const langium = readFileSync(join(repo, 'src/language/graft.langium'), 'utf8');

function flatten(rules: Rule[]): Rule[] {
    return rules.flatMap((r) => (r.include ? flatten(grammar.repository[r.include.slice(1)].patterns) : [r]));
}
const topRules = flatten(grammar.patterns);

/** Scopes of a single line as [text, scope] pairs (the innermost named scope of each piece). */
function scan(line: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    let pos = 0;
    while (pos < line.length) {
        let best: { rule: Rule; m: RegExpExecArray } | undefined;
        for (const rule of topRules) {
            const re = new RegExp(rule.match ?? rule.begin!, 'g');
            re.lastIndex = pos;
            const m = re.exec(line);
            if (m && (!best || m.index < best.m.index)) best = { rule, m };
        }
        if (!best) break;
        const { rule, m } = best;
        if (rule.begin) {
            const end = new RegExp(rule.end!, 'g');
            end.lastIndex = m.index + m[0].length;
            const e = end.exec(line);
            const stop = e ? e.index + e[0].length : line.length;
            out.push([line.slice(m.index, stop), rule.name!]);
            pos = Math.max(stop, pos + 1);
        } else if (rule.captures) {
            for (let g = 1; g < m.length; g++) if (m[g] !== undefined && rule.captures[g]) out.push([m[g], rule.captures[g].name]);
            pos = m.index + Math.max(1, m[0].length);
        } else {
            out.push([m[0], rule.name!]);
            pos = m.index + Math.max(1, m[0].length);
        }
    }
    return out;
}

const scopeOf = (line: string, piece: string): string | undefined => scan(line).find(([text]) => text === piece)?.[1];

describe('TextMate grammar', () => {
    test('every regex compiles and the scope name is source.graft', () => {
        expect(grammar.scopeName).toBe('source.graft');
        for (const r of Object.values(grammar.repository).flatMap((g) => g.patterns)) {
            for (const src of [r.match, r.begin, r.end]) if (src) expect(() => new RegExp(src)).not.toThrow();
        }
    });

    test('every keyword of the Langium grammar gets a scope', () => {
        const keywords = [...new Set([...langium.matchAll(/'([a-z_0-9]+)'/g)].map((m) => m[1]))];
        const missing = keywords.filter((k) => !scan(k).some(([text]) => text === k));
        expect(missing).toEqual([]);
    });

    test('declarations, references, layer names, globs, paths, numbers and comments', () => {
        expect(scopeOf('dataset digits_source {', 'digits_source')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('experiment digits_transfer {', 'digits_transfer')).toBe('entity.name.class.experiment.graft');
        expect(scopeOf('sweep digits_lr of digits_transfer {', 'digits_transfer')).toBe('entity.name.class.experiment.graft');
        expect(scopeOf('  stage fine_tune {', 'fine_tune')).toBe('entity.name.function.stage.graft');
        expect(scopeOf('  head count {', 'count')).toBe('entity.name.tag.head.graft');
        expect(scopeOf('  head prototypes', 'prototypes')).toBe('constant.language.graft');
        expect(scopeOf('  data digits_target', 'digits_target')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('  backbone digits_pretrain', 'digits_pretrain')).toBe('entity.name.class.experiment.graft');
        expect(scopeOf('  backbone mobilenet_v2 alpha 0.35 weights imagenet', 'mobilenet_v2')).toBe('support.type.zoo.graft');
        expect(scopeOf('  backbone mobilenet_v2 alpha 0.35 weights imagenet', '0.35')).toBe('constant.numeric.graft');
        expect(scopeOf('  backbone mobilenet_v2 alpha 0.35 weights imagenet', 'imagenet')).toBe('constant.language.graft');
        expect(scopeOf('  evaluate on test', 'test')).toBe('constant.language.graft');
        expect(scopeOf('  evaluate on shifted', 'shifted')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('    unfreeze from "block_13_expand"', 'block_13_expand')).toBe('string.quoted.double.graft entity.name.tag.layer.graft');
        expect(scopeOf('  freeze matching "conv_pw_*"', 'conv_pw_*')).toBe('string.regexp.glob.graft');
        expect(scopeOf('  source folder "data/fashion5"', '"data/fashion5"')).toBe('string.quoted.double.graft');
        expect(scopeOf('  split train 70%, val 15%', '70')).toBe('constant.numeric.percentage.graft');
        expect(scopeOf('  classes 0..4', '..')).toBe('keyword.operator.range.graft');
        expect(scopeOf('  optimizer adam lr 1e-3', '1e-3')).toBe('constant.numeric.graft');
        expect(scopeOf('    early_stop val_loss patience 3', 'val_loss')).toBe('variable.other.monitor.graft');
        expect(scopeOf('  seed 1 // the seed', '// the seed')).toBe('comment.line.double-slash.graft');
        expect(scopeOf('  weights "ftp://x/m.json" // not http', '"ftp://x/m.json"')).toBe('string.quoted.double.graft');
    });

    test('names that are keywords are scoped as names where a name goes, as keywords elsewhere', () => {
        expect(scopeOf('dataset x {', 'x')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('  image 12 x 12 grayscale', 'x')).toBe('keyword.other.graft');
        expect(scopeOf('experiment source {', 'source')).toBe('entity.name.class.experiment.graft');
        expect(scopeOf('  source mnist', 'source')).toBe('keyword.control.graft');
        expect(scopeOf('  data image', 'image')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('  adapt to image using coral', 'image')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('  evaluate on x', 'x')).toBe('entity.name.type.dataset.graft');
        expect(scopeOf('sweep of of data {', 'data')).toBe('entity.name.class.experiment.graft');
        expect(scan('sweep of of data {').slice(0, 3)).toEqual([['sweep', 'storage.type.sweep.graft'], ['of', 'entity.name.function.sweep.graft'], ['of', 'keyword.other.graft']]);
        expect(scopeOf('  stage freeze {', 'freeze')).toBe('entity.name.function.stage.graft');
        expect(scopeOf('  head output {', 'output')).toBe('entity.name.tag.head.graft');
        expect(scopeOf('  head prototypes {', 'prototypes')).toBe('entity.name.tag.head.graft');
        expect(scopeOf('  backbone source', 'source')).toBe('entity.name.class.experiment.graft');
        // `backbone from "…"` and `backbone lr <rate>` keep their keywords; without the value the word is an experiment.
        expect(scopeOf('  backbone from "model.json"', 'from')).toBe('keyword.other.graft');
        expect(scopeOf('  backbone lr 1e-4', 'lr')).toBe('keyword.other.graft');
        expect(scopeOf('  backbone lr cut at "block_3"', 'lr')).toBe('entity.name.class.experiment.graft');
        expect(scopeOf('  backbone resnet18', 'resnet18')).toBe('support.type.zoo.graft');
    });

    test('the examples scan without unscoped words', () => {
        const examples = join(repo, 'examples');
        for (const file of ['digits-transfer.graft', 'imagenet-mobilenet.graft', 'scenes-multilabel.graft', 'sweep.graft']) {
            for (const line of readFileSync(join(examples, file), 'utf8').split('\n')) {
                const covered = scan(line).map(([text]) => text).join(' ');
                for (const word of line.replace(/\/\/.*$/, '').replace(/"[^"]*"/g, '').match(/[A-Za-z_]\w*/g) ?? []) {
                    expect(covered.includes(word), `${file}: "${word}" in: ${line}`).toBe(true);
                }
            }
        }
    });
});
