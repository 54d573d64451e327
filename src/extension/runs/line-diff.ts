// Line diff of two spec copies for the run comparison. Specs are a few hundred lines at most, so
// the plain longest-common-subsequence table is fast enough and easy to trust.

export interface DiffLine {
    kind: 'same' | 'added' | 'removed';
    text: string;
    /** 1-based line in the old (a) and new (b) text. */
    a?: number;
    b?: number;
}

export function lineDiff(aText: string, bText: string): DiffLine[] {
    const a = aText.replace(/\r\n/g, '\n').split('\n');
    const b = bText.replace(/\r\n/g, '\n').split('\n');
    if (a.at(-1) === '') a.pop();
    if (b.at(-1) === '') b.pop();
    const n = a.length;
    const m = b.length;
    // lcs[i][j] = LCS length of a[i..] and b[j..]
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    const out: DiffLine[] = [];
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] === b[j]) {
            out.push({ kind: 'same', text: a[i]!, a: i + 1, b: j + 1 });
            i++;
            j++;
        } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
            // removals before additions, as diff tools show a changed line
            out.push({ kind: 'removed', text: a[i]!, a: i + 1 });
            i++;
        } else {
            out.push({ kind: 'added', text: b[j]!, b: j + 1 });
            j++;
        }
    }
    return out;
}
