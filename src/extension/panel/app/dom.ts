// A tiny element builder: the panel is plain DOM (no framework), and never uses innerHTML with
// run data, so nothing a run writes can inject markup into the webview.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) {
        if (v === undefined || v === false) continue;
        if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
        else if (k === 'class') el.className = String(v);
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
        if (c === null || c === undefined || c === false) continue;
        el.append(c instanceof Node ? c : String(c));
    }
    return el;
}

export function fmt(v: number | undefined, digits = 4): string {
    if (v === undefined || !Number.isFinite(v)) return '–';
    if (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(2);
    return v.toFixed(digits);
}

export function pct(v: number | undefined, digits = 1): string {
    return v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`;
}

export function signedPct(v: number): string {
    return `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)} pts`;
}

export function duration(seconds: number | undefined): string {
    if (seconds === undefined || !Number.isFinite(seconds)) return '–';
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
    return h('section', { class: 'card' }, h('h2', null, title), ...children);
}
