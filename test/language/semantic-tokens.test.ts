// Semantic tokens through the real provider: declarations and references by kind, layer names,
// numbers and percentages, zoo names, option values and keywords.
import { describe, expect, test } from 'vitest';
import { SemanticTokensDecoder } from 'langium/lsp';
import { closeDocuments, createTestServices, examplePath, openDocuments } from './lsp-test-helpers.js';

const services = createTestServices();

const SPEC = `dataset d {
  source mnist
  split train 80%, val 20%
}

experiment e {
  data d
  backbone mobilenet_v2 alpha 0.35 cut at "block_16_project"
  freeze until "block_13_expand"
  freeze matching "*_BN"
  head {
    output softmax
  }
  train {
    early_stop val_loss patience 3
  }
  stage ft {
    epochs 1
  }
}

sweep s of e {
  vary lr 1e-2, 1e-3
}
`;

describe('semantic tokens', () => {
    test('every interesting token gets its class, comments and punctuation none', async () => {
        const docs = await openDocuments(services, [{ path: examplePath('tokens'), text: SPEC }]);
        try {
            const provider = services.lsp.SemanticTokenProvider!;
            const tokens = await provider.semanticHighlight(docs[0], { textDocument: { uri: docs[0].uri.toString() } });
            const decoded = SemanticTokensDecoder.decode(tokens, provider.tokenTypes, docs[0]);
            const modifierNames = Object.entries(provider.tokenModifiers);
            const show = decoded.map((t) => {
                const mods = modifierNames.filter(([, bit]) => t.tokenModifiers & bit).map(([name]) => name);
                return `${t.text}:${t.tokenType}${mods.length ? `+${mods.join('+')}` : ''}`;
            });
            expect(show).toEqual([
                'dataset:keyword', 'd:struct+declaration',
                'source:keyword', 'mnist:keyword',
                'split:keyword', 'train:enumMember', '80:number', '%:number', 'val:enumMember', '20:number', '%:number',
                'experiment:keyword', 'e:class+declaration',
                'data:keyword', 'd:struct',
                'backbone:keyword', 'mobilenet_v2:type+defaultLibrary', 'alpha:keyword', '0.35:number', 'cut:keyword', 'at:keyword', '"block_16_project":property',
                'freeze:keyword', 'until:keyword', '"block_13_expand":property',
                'freeze:keyword', 'matching:keyword', '"*_BN":regexp',
                'head:keyword', 'output:keyword', 'softmax:enumMember',
                'train:keyword', 'early_stop:keyword', 'val_loss:variable+readonly', 'patience:keyword', '3:number',
                'stage:keyword', 'ft:method+declaration', 'epochs:keyword', '1:number',
                'sweep:keyword', 's:function+declaration', 'of:keyword', 'e:class',
                'vary:keyword', 'lr:enumMember', '1e-2:number', '1e-3:number'
            ]);
        } finally {
            await closeDocuments(services, docs);
        }
    });
});
