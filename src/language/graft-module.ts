// Wires Graft's language services with Langium's dependency injection.
// One service per concern; each lives in its own file under validation/, lsp/ or layers/.
import {
    inject,
    type Module
} from 'langium';
import {
    createDefaultModule,
    createDefaultSharedModule,
    type DefaultSharedModuleContext,
    type LangiumServices,
    type LangiumSharedServices,
    type PartialLangiumServices,
    type PartialLangiumSharedServices
} from 'langium/lsp';
import { GraftGeneratedModule, GraftGeneratedSharedModule } from './generated/module.js';
import { GraftValidator, registerValidationChecks } from './validation/graft-validator.js';
import { GraftDocumentValidator, GraftLinker } from './validation/graft-linker.js';
import { GraftParserErrorMessageProvider } from './validation/graft-parser-errors.js';
import { BackboneLayers } from './layers/backbone-layers.js';
import { GraftCodeActionProvider } from './lsp/graft-code-actions.js';
import { GraftCompletionProvider } from './lsp/graft-completion.js';
import { GraftHoverProvider } from './lsp/graft-hover.js';
import { GraftFormatter } from './lsp/graft-formatter.js';
import { GraftSemanticTokenProvider } from './lsp/graft-semantic-tokens.js';
import { GraftNameProvider } from './lsp/graft-name-provider.js';
import { GraftWorkspaceManager } from './workspace/graft-workspace-manager.js';

/** Services Graft adds to Langium's. */
export type GraftAddedServices = {
    validation: {
        GraftValidator: GraftValidator;
    };
    layers: {
        /** Resolves the layer list of any backbone form (zoo, model.json, another experiment). */
        BackboneLayers: BackboneLayers;
    };
};

export type GraftServices = LangiumServices & GraftAddedServices;

export const GraftModule: Module<GraftServices, PartialLangiumServices & GraftAddedServices> = {
    parser: {
        // Syntax errors say "a name" rather than listing every keyword a name may be.
        ParserErrorMessageProvider: (services) => new GraftParserErrorMessageProvider(services.Grammar)
    },
    validation: {
        GraftValidator: (services) => new GraftValidator(services),
        DocumentValidator: (services) => new GraftDocumentValidator(services)
    },
    references: {
        Linker: (services) => new GraftLinker(services),
        // Only declarations have names: see graft-name-provider.ts.
        NameProvider: () => new GraftNameProvider()
    },
    layers: {
        BackboneLayers: (services) => new BackboneLayers(services)
    },
    lsp: {
        CodeActionProvider: (services) => new GraftCodeActionProvider(services),
        CompletionProvider: (services) => new GraftCompletionProvider(services),
        HoverProvider: (services) => new GraftHoverProvider(services),
        Formatter: () => new GraftFormatter(),
        SemanticTokenProvider: (services) => new GraftSemanticTokenProvider(services)
    }
};

/** Shared services Graft replaces: see graft-workspace-manager.ts. */
export const GraftSharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
    workspace: {
        WorkspaceManager: (services) => new GraftWorkspaceManager(services)
    }
};

/**
 * Creates the shared and the Graft services. `context` gives the file system: NodeFileSystem for
 * the language server and the CLI, EmptyFileSystem for in-memory tests.
 */
export function createGraftServices(context: DefaultSharedModuleContext): {
    shared: LangiumSharedServices;
    Graft: GraftServices;
} {
    const shared = inject(createDefaultSharedModule(context), GraftGeneratedSharedModule, GraftSharedModule);
    const Graft = inject(createDefaultModule({ shared }), GraftGeneratedModule, GraftModule);
    shared.ServiceRegistry.register(Graft);
    registerValidationChecks(Graft);
    if (!context.connection) {
        // Without a language client nobody sends the configuration; mark it ready so that
        // the document builder does not wait for it.
        shared.workspace.ConfigurationProvider.initialized({});
    }
    return { shared, Graft };
}
