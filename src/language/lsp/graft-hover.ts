// Scaffold: replaced by Graft's hover.
import { MultilineCommentHoverProvider } from 'langium/lsp';

export class GraftHoverProvider extends MultilineCommentHoverProvider {}
