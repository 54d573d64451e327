// Python literals for the generated script's configuration: JSON's values, with Python's
// True/False/None, so the plan reads as plain Python data at the top of the script.

export function pyString(s: string): string {
    return JSON.stringify(s);
}

function pyNumber(n: number): string {
    if (Number.isNaN(n)) return 'float("nan")';
    if (!Number.isFinite(n)) return n > 0 ? 'float("inf")' : '-float("inf")';
    return String(n);
}

/** `value` as a Python literal; objects and arrays longer than `width` are broken over lines. */
export function pyLiteral(value: unknown, indent = 0, width = 100): string {
    if (value === null || value === undefined) return 'None';
    if (typeof value === 'boolean') return value ? 'True' : 'False';
    if (typeof value === 'number') return pyNumber(value);
    if (typeof value === 'string') return pyString(value);
    const pad = ' '.repeat(indent + 4);
    const close = ' '.repeat(indent);
    if (Array.isArray(value)) {
        const items = value.map((v) => pyLiteral(v, indent + 4, width));
        const flat = `[${items.join(', ')}]`;
        if (flat.length + indent <= width && !flat.includes('\n')) return flat;
        return `[\n${items.map((i) => `${pad}${i}`).join(',\n')},\n${close}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const items = entries.map(([k, v]) => `${pyString(k)}: ${pyLiteral(v, indent + 4, width)}`);
    const flat = `{${items.join(', ')}}`;
    if (flat.length + indent <= width && !flat.includes('\n')) return flat;
    return `{\n${items.map((i) => `${pad}${i}`).join(',\n')},\n${close}}`;
}
