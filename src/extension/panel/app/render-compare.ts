// Side-by-side comparison of two runs: metrics with deltas, curves overlaid, and the spec diff.
import type { CompareView } from '../protocol.js';
import type { RunSnapshot } from '../../runs/run-state.js';
import { fmt, h, pct, section, signedPct } from './dom.js';
import { lineChart, phaseCurves, type Curve } from './charts.js';
import type { Post } from './main.js';
import { engineLabel } from '../../../runtime/runs/engine.js';

const label = (r: RunSnapshot) => r.runId;
const engineOf = (r: RunSnapshot) => engineLabel(r.results?.engine ?? { name: 'graft' });
const gainText = (v: number | undefined) => (v === undefined ? '–' : signedPct(v));

function metricsCompare(a: RunSnapshot, b: RunSnapshot): HTMLElement {
    const rows: HTMLElement[] = [];
    const splits = [...new Set([...Object.keys(a.results?.metrics ?? {}), ...Object.keys(b.results?.metrics ?? {})])].sort((x, y) => (x === 'test' ? -1 : y === 'test' ? 1 : x.localeCompare(y)));
    for (const s of splits) {
        const ma = a.results?.metrics[s] ?? {};
        const mb = b.results?.metrics[s] ?? {};
        for (const n of [...new Set([...Object.keys(ma), ...Object.keys(mb)])]) {
            const va = ma[n];
            const vb = mb[n];
            const d = va !== undefined && vb !== undefined ? vb - va : undefined;
            const better = d === undefined || d === 0 ? '' : (/loss/.test(n) ? d < 0 : d > 0) ? 'better' : 'worse';
            const f = /loss/.test(n) ? fmt : (x: number | undefined) => pct(x);
            rows.push(h('tr', null, h('td', null, `${s} ${n}`), h('td', { class: 'num' }, f(va)), h('td', { class: 'num' }, f(vb)), h('td', { class: `num ${better}` }, d === undefined ? '–' : `${d > 0 ? '+' : ''}${/loss/.test(n) ? fmt(d) : (d * 100).toFixed(1) + ' pts'}`)));
        }
    }
    const gain = (r: RunSnapshot) => r.results?.transferGain;
    if (gain(a) || gain(b)) rows.push(h('tr', null, h('td', null, 'transfer gain'), h('td', { class: 'num' }, gainText(gain(a)?.value)), h('td', { class: 'num' }, gainText(gain(b)?.value)), h('td', null, '')));
    return section('Metrics', h('table', { class: 'metrics', id: 'compare-table' },
        h('thead', null, h('tr', null, h('th', null, 'metric'), h('th', { class: 'num' }, `A: ${label(a)}`), h('th', { class: 'num' }, `B: ${label(b)}`), h('th', { class: 'num' }, 'B − A'))),
        h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'Neither run recorded results.')))
    ));
}

function overlaid(a: RunSnapshot, b: RunSnapshot, kind: 'loss' | 'metric', canvases: Map<string, HTMLDivElement>, keep: Set<string>): HTMLElement {
    const main = (r: RunSnapshot) => r.series.find((s) => s.phase === 'main') ?? r.series[0];
    const curves: Curve[] = [];
    for (const [r, tag, color] of [[a, 'A', 0], [b, 'B', 1]] as const) {
        const s = main(r);
        if (!s) continue;
        for (const c of phaseCurves(s, kind).slice(0, 2)) curves.push({ ...c, label: `${tag} ${c.label}`, color });
    }
    const key = `compare:${a.runDir}|${b.runDir}:${kind}`;
    keep.add(key);
    let wrap = canvases.get(key);
    if (!wrap) canvases.set(key, (wrap = h('div', { class: 'chart' }, h('canvas', null))));
    const canvas = wrap.querySelector('canvas')!;
    queueMicrotask(() => lineChart(key, canvas, `${kind} curves`, curves, [], kind));
    return wrap;
}

function specDiff(v: CompareView, post: Post): HTMLElement {
    const changed = v.specDiff.some((d) => d.kind !== 'same');
    const lines = v.specDiff.map((d) => h('div', { class: `diff-line ${d.kind}` }, h('span', { class: 'gutter' }, d.kind === 'added' ? '+' : d.kind === 'removed' ? '−' : ' '), d.text || ' '));
    return section('Spec diff (A → B)',
        h('div', { class: 'actions' }, h('button', { class: 'secondary', onclick: () => post({ type: 'openSpecDiff', runDirs: [v.a.runDir ?? '', v.b.runDir ?? ''] }) }, 'Open in diff editor')),
        changed ? h('pre', { class: 'diff' }, lines) : h('p', { class: 'muted' }, v.specDiff.length ? 'The two runs used the same spec.' : 'No spec copy was found in the run folders.')
    );
}

export function renderCompare(root: HTMLElement, v: CompareView, canvases: Map<string, HTMLDivElement>, keep: Set<string>, post: Post): void {
    root.replaceChildren(
        h('header', { class: 'run-header' }, h('div', { class: 'title-row' }, h('h1', null, 'Compare runs')), h('div', { class: 'muted' }, `A: ${v.a.experiment}/${v.a.runId} (${v.a.status}, ${engineOf(v.a)}) · B: ${v.b.experiment}/${v.b.runId} (${v.b.status}, ${engineOf(v.b)})`)),
        metricsCompare(v.a, v.b),
        section('Curves (A solid colour 1, B colour 2; val dashed)', h('div', { class: 'charts' }, overlaid(v.a, v.b, 'loss', canvases, keep), overlaid(v.a, v.b, 'metric', canvases, keep))),
        specDiff(v, post)
    );
}
