// Scaffold: replaced by Graft's completion.
import { DefaultCompletionProvider } from 'langium/lsp';

export class GraftCompletionProvider extends DefaultCompletionProvider {}
