// The language server's workspace scan skips run folders (their spec copies would redeclare every
// name) and validates files that are not open.
import { describe, expect, test } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { createGraftServices } from '../../src/language/graft-module.js';

describe('workspace scan', () => {
    test('skips runs/ and validates every file found', async () => {
        const root = mkdtempSync(join(tmpdir(), 'graft-ws-'));
        const spec = 'dataset d {\n  source mnist\n  split train 100%\n}\nexperiment e {\n  data dd\n  backbone small_cnn\n  head {\n    output softmax\n  }\n}\n';
        writeFileSync(join(root, 'a.graft'), spec);
        mkdirSync(join(root, 'runs', 'e', '1'), { recursive: true });
        writeFileSync(join(root, 'runs', 'e', '1', 'spec.graft'), spec);
        const { shared } = createGraftServices(NodeFileSystem);
        await shared.workspace.WorkspaceManager.initializeWorkspace([{ uri: URI.file(root).toString(), name: 'ws' }]);
        const docs = shared.workspace.LangiumDocuments.all.toArray();
        expect(docs.map((d) => d.uri.fsPath)).toEqual([join(root, 'a.graft')]);
        // Validated although never opened: the unknown dataset is reported, and no duplicate names.
        const codes = (docs[0].diagnostics ?? []).map((d) => d.code);
        expect(codes).toContain('unknown-name');
        expect(codes).not.toContain('duplicate-name');
    });
});
