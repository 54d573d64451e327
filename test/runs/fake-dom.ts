// Just enough of a DOM for the results panel's element builder (src/extension/panel/app/dom.ts)
// to run in Node, so a test can render a run's results and read what the panel would show.

export class FakeNode {
    children: FakeNode[] = [];
    attrs: Record<string, string> = {};
    className = '';
    constructor(
        readonly tag: string,
        readonly data = ''
    ) {}
    readonly style = { setProperty: (_k: string, _v: string) => undefined };
    readonly classList = { add: (c: string) => void (this.className = `${this.className} ${c}`.trim()) };
    setAttribute(k: string, v: string): void {
        this.attrs[k] = v;
    }
    addEventListener(): void {}
    append(...nodes: (FakeNode | string)[]): void {
        for (const n of nodes) this.children.push(typeof n === 'string' ? new FakeNode('#text', n) : n);
    }
}

/** Installs `document` and `Node` globals backed by FakeNode (idempotent). */
export function installFakeDom(): void {
    const g = globalThis as Record<string, unknown>;
    g.Node ??= FakeNode;
    g.document ??= { createElement: (tag: string) => new FakeNode(tag) };
}

/** The text content of a rendered node. */
export function text(n: FakeNode): string {
    return n.tag === '#text' ? n.data : n.children.map(text).join('');
}
