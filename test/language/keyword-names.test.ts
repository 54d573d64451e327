// Every keyword of the grammar is a valid name wherever a name goes: declarations (dataset,
// experiment, sweep, stage, named head), references (`data`, `backbone <experiment>`, `adapt to`,
// `evaluate on`, `sweep … of`) and monitors. The keyword list comes from the grammar itself, so a
// keyword added later is tested too. The two exceptions (docs/language.md, "Names"): `backbone
// <zoo architecture>` is the architecture and `evaluate on test` the experiment's own test split.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { AstUtils, GrammarAST, URI, type LangiumDocument } from 'langium';
import { EmptyFileSystem } from 'langium';
import { clearDocuments } from 'langium/test';
import { createGraftServices } from '../../src/language/graft-module.js';
import {
    isAdaptProp,
    isCheckpointSetting,
    isDataProp,
    isEvaluateProp,
    isExperimentBackbone,
    isHead,
    isObjectiveItem,
    isStage,
    isZooBackbone,
    type Dataset,
    type Experiment,
    type Model,
    type Sweep
} from '../../src/language/generated/ast.js';
import { keywordsOfNameRule, NAME_RULES } from '../../src/language/name-rules.js';

const { Graft: services } = createGraftServices(EmptyFileSystem);
const grammar = services.Grammar;

/** Every word-shaped keyword of the grammar outside the name rules. */
const KEYWORDS = [
    ...new Set(
        grammar.rules
            .filter((r) => GrammarAST.isParserRule(r) && !NAME_RULES.has(r.name))
            .flatMap((r) => AstUtils.streamAllContents(r).filter(GrammarAST.isKeyword).map((k) => k.value).toArray())
            .filter((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v))
    )
].sort();
const ZOO = keywordsOfGrammarRule('ZooArch');

function keywordsOfGrammarRule(name: string): Set<string> {
    const rule = grammar.rules.find((r) => r.name === name)!;
    return new Set(AstUtils.streamAllContents(rule).filter(GrammarAST.isKeyword).map((k) => k.value).toArray());
}

// Chevrotain's ALL(*) lookahead logs "Ambiguous Alternatives Detected" through console.log when a
// real ambiguity is met: the name rules must not introduce one.
const logged: string[] = [];
beforeAll(() => {
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
});
afterAll(() => vi.restoreAllMocks());

let counter = 0;
async function build(text: string): Promise<LangiumDocument<Model>> {
    const doc = services.shared.workspace.LangiumDocumentFactory.fromString<Model>(text, URI.file(`/keyword-names/${counter++}.graft`));
    services.shared.workspace.LangiumDocuments.addDocument(doc);
    await services.shared.workspace.DocumentBuilder.build([doc], { validation: false });
    return doc;
}

function syntaxErrors(doc: LangiumDocument): string[] {
    return [...doc.parseResult.lexerErrors.map((e) => e.message), ...doc.parseResult.parserErrors.map((e) => `${e.token.startLine}:${e.token.startColumn} ${e.message}`)];
}

/** `word` as a dataset, a stage, a head, a sweep and a monitor, and in each reference to a dataset. */
const asDataset = (w: string): string => `dataset ${w} {
  source mnist
}

experiment e {
  data ${w}
  backbone small_cnn
  head ${w} {
    output softmax
  }
  train {
    checkpoint best ${w}
  }
  stage ${w} {
    epochs 1
  }
  adapt to ${w} using coral
  evaluate on ${w}
}

sweep ${w} of e {
  vary lr 1e-3
  objective max ${w}
}
`;

/** `word` as an experiment, referenced by `backbone` and `sweep … of`. */
const asExperiment = (w: string): string => `dataset d {
  source mnist
}

experiment ${w} {
  data d
  backbone small_cnn
  head {
    output softmax
  }
}

experiment user {
  data d
  backbone ${w}
  head {
    output softmax
  }
}

sweep s of ${w} {
  vary lr 1e-3
}
`;

describe('keywords as names', () => {
    test('the keyword list comes from the grammar and the Name rule accepts all of it', () => {
        expect(KEYWORDS.length).toBeGreaterThan(150);
        for (const w of ['x', 'image', 'source', 'of', 'data', 'head', 'stage', 'from', 'lr', 'test', 'prototypes']) expect(KEYWORDS).toContain(w);
        expect([...keywordsOfNameRule(grammar, 'Name')].sort()).toEqual(KEYWORDS);
        expect([...keywordsOfNameRule(grammar, 'BackboneName')].sort()).toEqual(KEYWORDS.filter((w) => !ZOO.has(w)));
        expect([...keywordsOfNameRule(grammar, 'EvaluateName')].sort()).toEqual(KEYWORDS.filter((w) => w !== 'test'));
    });

    test('every keyword names a dataset, stage, head, sweep and monitor, and every dataset reference links', async () => {
        const failures: string[] = [];
        for (const w of KEYWORDS) {
            const doc = await build(asDataset(w));
            try {
                const errors = syntaxErrors(doc);
                if (errors.length > 0) {
                    failures.push(`${w}: ${errors.join('; ')}`);
                    continue;
                }
                const [dataset, experiment, sweep] = doc.parseResult.value.elements as [Dataset, Experiment, Sweep];
                const props = experiment.props;
                const evaluate = props.find(isEvaluateProp)!;
                const checks: Array<[string, boolean]> = [
                    ['dataset name', dataset.name === w],
                    ['data', props.find(isDataProp)?.dataset.ref === dataset],
                    ['head name', props.find(isHead)?.name === w],
                    ['stage name', props.find(isStage)?.name === w],
                    ['checkpoint monitor', AstUtils.streamAllContents(experiment).find(isCheckpointSetting)?.monitor === w],
                    ['adapt to', props.find(isAdaptProp)?.target.ref === dataset],
                    // `evaluate on test` is the own test split, whatever datasets exist.
                    ['evaluate on', w === 'test' ? evaluate.test && !evaluate.dataset : evaluate.dataset?.ref === dataset],
                    ['sweep name', sweep.name === w],
                    ['sweep of', sweep.experiment.ref === experiment],
                    ['objective monitor', sweep.items.find(isObjectiveItem)?.monitor === w]
                ];
                for (const [what, ok] of checks) if (!ok) failures.push(`${w}: ${what}`);
            } finally {
                await clearDocuments(services, [doc]);
            }
        }
        expect(failures).toEqual([]);
    });

    test('every keyword names an experiment that `backbone` and `sweep … of` reach (zoo names stay architectures)', async () => {
        const failures: string[] = [];
        for (const w of KEYWORDS) {
            const doc = await build(asExperiment(w));
            try {
                const errors = syntaxErrors(doc);
                if (errors.length > 0) {
                    failures.push(`${w}: ${errors.join('; ')}`);
                    continue;
                }
                const [, named, user, sweep] = doc.parseResult.value.elements as [Dataset, Experiment, Experiment, Sweep];
                if (named.name !== w) failures.push(`${w}: experiment name`);
                if (sweep.experiment.ref !== named) failures.push(`${w}: sweep of`);
                if (ZOO.has(w)) {
                    if (user.props.find(isZooBackbone)?.arch !== w) failures.push(`${w}: backbone ${w} is not the zoo architecture`);
                } else if (user.props.find(isExperimentBackbone)?.experiment.ref !== named) {
                    failures.push(`${w}: backbone`);
                }
            } finally {
                await clearDocuments(services, [doc]);
            }
        }
        expect(failures).toEqual([]);
    });

    test('the words that also start a backbone form keep that form when it fits', async () => {
        const doc = await build(`experiment from {
  backbone from "model.json" cut at "a"
}

experiment lr {
  backbone from cut at "b"
  backbone lr 1e-3
  backbone lr cut at "c"
}

experiment prototypes {
  head prototypes distance cosine
  head prototypes {
    output softmax
  }
}
`);
        try {
            expect(syntaxErrors(doc)).toEqual([]);
            const [from, lr, prototypes] = doc.parseResult.value.elements as Experiment[];
            expect(from.props.map((p) => p.$type)).toEqual(['FileBackbone']);
            expect(lr.props.map((p) => p.$type)).toEqual(['ExperimentBackbone', 'BackboneLr', 'ExperimentBackbone']);
            expect(lr.props.filter(isExperimentBackbone).map((b) => b.experiment.ref?.name)).toEqual(['from', 'lr']);
            const heads = prototypes.props.filter(isHead);
            expect(heads.map((h) => [h.prototypes, h.name])).toEqual([[true, undefined], [false, 'prototypes']]);
        } finally {
            await clearDocuments(services, [doc]);
        }
    });

    test('no lookahead ambiguity was met on the way', () => {
        expect(logged.filter((l) => /ambiguous/i.test(l))).toEqual([]);
    });
});
