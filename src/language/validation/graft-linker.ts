// Unknown names: Langium's linker reports them; these subclasses make the message say what kind
// of thing is missing (and what a name of the wrong kind is), and give the diagnostic the
// stable code `unknown-name` that `graft check` prints.
import { DefaultLinker, DocumentValidator, DefaultDocumentValidator, type LangiumDocument, type LinkingError, type ReferenceInfo, type AstNodeDescription, type ValidationOptions } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { GraftServices } from '../graft-module.js';
import { ZOO_ARCHS } from '../../core/zoo/catalog.js';
import { nearest } from './check-utils.js';
import { Codes } from './codes.js';

const KIND_OF_TYPE: Record<string, string> = { Dataset: 'dataset', Experiment: 'experiment', Sweep: 'sweep' };

/** The other `backbone` forms whose keyword could also be an experiment's name, with what they need. */
const BACKBONE_FORMS: Record<string, string> = {
    from: 'a model.json path: `backbone from "<model.json>"`',
    lr: 'a learning rate: `backbone lr 1e-4`'
};

export class GraftLinker extends DefaultLinker {
    constructor(private readonly graftServices: GraftServices) {
        super(graftServices);
    }

    protected override createLinkingError(refInfo: ReferenceInfo, targetDescription?: AstNodeDescription): LinkingError {
        const error = super.createLinkingError(refInfo, targetDescription);
        const name = refInfo.reference.$refText;
        const wanted = this.reflection.getReferenceType(refInfo);
        const kind = KIND_OF_TYPE[wanted] ?? wanted.toLowerCase();
        const elements = this.graftServices.shared.workspace.IndexManager.allElements().toArray();
        const other = elements.find((e) => e.name === name && e.type !== wanted);
        let message: string;
        if (other) {
            message = `'${name}' is a ${KIND_OF_TYPE[other.type] ?? other.type}, but ${this.usage(refInfo)} needs ${kind === 'experiment' ? 'an' : 'a'} ${kind}`;
        } else {
            const candidates = nearest(
                name,
                elements.filter((e) => e.type === wanted).map((e) => e.name),
                3
            ).filter((c) => c.length > 0);
            const hint = candidates.length > 0 ? ` (did you mean ${candidates.map((c) => `'${c}'`).join(', ')}?)` : '';
            message = `no ${kind} named '${name}' in the workspace${hint}`;
            if (refInfo.container.$type === 'ExperimentBackbone') {
                // `backbone from` / `backbone lr` without their value read as a reference to an experiment of that name.
                const form = BACKBONE_FORMS[name];
                message = form
                    ? `\`backbone ${name}\` needs ${form}; without it, '${name}' is read as an experiment, and the workspace has none of that name`
                    : `${message}; \`backbone\` takes a zoo architecture (${ZOO_ARCHS.join(', ')}), \`from "<model.json>"\` or an experiment`;
            }
        }
        return { ...error, message };
    }

    private usage(refInfo: ReferenceInfo): string {
        switch (refInfo.container.$type) {
            case 'DataProp':
                return '`data`';
            case 'ExperimentBackbone':
                return '`backbone`';
            case 'AdaptProp':
                return '`adapt to`';
            case 'EvaluateProp':
                return '`evaluate on`';
            case 'Sweep':
                return '`sweep … of`';
            default:
                return 'this reference';
        }
    }
}

export class GraftDocumentValidator extends DefaultDocumentValidator {
    protected override processLinkingErrors(document: LangiumDocument, diagnostics: Diagnostic[], options: ValidationOptions): void {
        const before = diagnostics.length;
        super.processLinkingErrors(document, diagnostics, options);
        for (const diagnostic of diagnostics.slice(before)) {
            if ((diagnostic.data as { code?: string } | undefined)?.code === DocumentValidator.LinkingError) diagnostic.code = Codes.unknownName;
        }
    }
}
