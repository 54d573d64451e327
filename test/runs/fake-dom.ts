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
    readonly classList = {
        add: (c: string) => void (this.className = `${this.className} ${c}`.trim()),
        remove: (c: string) => void (this.className = this.className.split(' ').filter((x) => x && x !== c).join(' '))
    };
    setAttribute(k: string, v: string): void {
        this.attrs[k] = v;
    }
    readonly listeners: Record<string, ((e: unknown) => void)[]> = {};
    addEventListener(type: string, fn: (e: unknown) => void): void {
        (this.listeners[type] ??= []).push(fn);
    }
    /** Calls the listeners of `type` with `event` (default: an event whose preventDefault does nothing). */
    fire(type: string, event: Record<string, unknown> = {}): void {
        for (const fn of this.listeners[type] ?? []) fn({ preventDefault: () => undefined, stopPropagation: () => undefined, ...event });
    }
    append(...nodes: (FakeNode | string)[]): void {
        for (const n of nodes) this.children.push(typeof n === 'string' ? new FakeNode('#text', n) : n);
    }
    replaceChildren(...nodes: (FakeNode | string)[]): void {
        this.children = [];
        this.append(...nodes);
    }
    /** Depth-first search by id attribute. */
    find(id: string): FakeNode | undefined {
        if (this.attrs.id === id || (this as { id?: string }).id === id) return this;
        for (const c of this.children) {
            const hit = c.find(id);
            if (hit) return hit;
        }
        return undefined;
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
