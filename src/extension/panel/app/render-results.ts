// The end-of-run sections: test metrics, transfer gain, per-class report, confusion heat map,
// misclassified gallery, per-head sections, few-shot episodes, sweep table.
import type { ClassReport, ConfusionView, ResultsView, SweepView } from '../../runs/results-view.js';
import { fmt, h, pct, section, signedPct } from './dom.js';

// A rate (shown as a percentage) by its name, also with a split or head prefix: `val_accuracy`, `tags_map`, `f1_macro`.
const PERCENT_METRICS = /(^|_)(accuracy|acc|top_?\d+|precision|recall|f1|auc|map)(_|$)/i;
const show = (name: string, v: number | undefined) => (PERCENT_METRICS.test(name) ? pct(v) : fmt(v));

export function metricsTable(r: ResultsView): HTMLElement | undefined {
    const splits = Object.keys(r.metrics);
    if (!splits.length) return undefined;
    // Test first: it is the number that matters; train/val are there for context.
    splits.sort((a, b) => (a === 'test' ? -1 : b === 'test' ? 1 : a.localeCompare(b)));
    // accuracy first, the loss last: the table reads from what people report to what they debug
    const rank = (n: string) => (n === 'accuracy' ? 0 : /loss/.test(n) ? 2 : 1);
    const names = [...new Set(splits.flatMap((s) => Object.keys(r.metrics[s]!)))].sort((a, b) => rank(a) - rank(b));
    const base = r.baselineMetrics;
    const head = h('tr', null, h('th', null, 'metric'), ...splits.map((s) => h('th', { class: 'num' }, s)), base?.test ? h('th', { class: 'num' }, 'baseline (test)') : null);
    const rows = names.map((n) =>
        h('tr', { 'data-metric': n },
            h('td', null, n),
            ...splits.map((s) => h('td', { class: 'num', 'data-split': s }, show(n, r.metrics[s]![n]))),
            base?.test ? h('td', { class: 'num' }, show(n, base.test[n])) : null
        )
    );
    return section('Test metrics', h('table', { class: 'metrics', id: 'metrics-table' }, h('thead', null, head), h('tbody', null, rows)), thresholds(r));
}

/** The multi-label decision threshold(s) the metrics were taken at: one number when all classes share it. */
function thresholds(r: ResultsView): HTMLElement | undefined {
    if (!r.thresholds?.length) return undefined;
    const line = (t: NonNullable<ResultsView['thresholds']>[number]) => {
        const same = t.values.every((v) => v === t.values[0]);
        const what = same ? fmt(t.values[0], 2) : t.values.map((v, i) => `${t.labels?.[i] ?? i} ${fmt(v, 2)}`).join(', ');
        return `${t.head ? `${t.head}: ` : ''}${what}`;
    };
    return h('p', { class: 'muted', id: 'thresholds' }, `Decision threshold${r.thresholds.length > 1 || r.thresholds.some((t) => t.values.some((v) => v !== t.values[0])) ? 's' : ''}: ${r.thresholds.map(line).join('; ')}`);
}

export function transferGain(r: ResultsView): HTMLElement | undefined {
    const g = r.transferGain;
    if (!g) return undefined;
    const negative = g.value < 0;
    return section('Transfer gain vs. scratch baseline',
        h('div', { class: `gain ${negative ? 'negative' : 'positive'}`, id: 'transfer-gain', 'data-value': g.value },
            h('span', { class: 'big' }, signedPct(g.value)),
            h('span', { class: 'muted' }, ` ${g.metric}: ${pct(g.experiment)} with transfer vs ${pct(g.baseline)} from scratch`)
        ),
        negative
            ? h('div', { class: 'warning', role: 'alert' }, h('strong', null, '⚠ Negative transfer. '), 'The pretrained backbone made this experiment worse than training the same network from random weights. Check that source and target domains are related, unfreeze more layers, or lower the learning rate.')
            : null
    );
}

function classTable(rows: ClassReport[]): HTMLElement {
    return h('table', { class: 'metrics per-class' },
        h('thead', null, h('tr', null, h('th', null, 'class'), h('th', { class: 'num' }, 'precision'), h('th', { class: 'num' }, 'recall'), h('th', { class: 'num' }, 'F1'), rows.some((r) => r.support !== undefined) ? h('th', { class: 'num' }, 'support') : null)),
        h('tbody', null, rows.map((r) => h('tr', null, h('td', null, r.label), h('td', { class: 'num' }, pct(r.precision)), h('td', { class: 'num' }, pct(r.recall)), h('td', { class: 'num' }, pct(r.f1)), r.support !== undefined ? h('td', { class: 'num' }, r.support) : null)))
    );
}

export function perClass(rows: ClassReport[] | undefined, title = 'Per class'): HTMLElement | undefined {
    return rows?.length ? section(title, classTable(rows)) : undefined;
}

function confusionGrid(c: ConfusionView): HTMLElement {
    const max = Math.max(1, ...c.matrix.flat());
    const table = h('table', { class: 'confusion', 'aria-label': 'confusion matrix: rows true class, columns predicted class' },
        h('thead', null, h('tr', null, h('th', { class: 'corner' }, 'true ╲ pred'), ...c.labels.map((l) => h('th', null, l)))),
        h('tbody', null, c.matrix.map((row, i) => h('tr', null, h('th', null, c.labels[i] ?? String(i)), ...row.map((v, j) => {
            const cell = h('td', { class: i === j ? 'diag' : 'off', title: `true ${c.labels[i]}, predicted ${c.labels[j]}: ${v}` }, v);
            // Heat: the cell's share of the largest count, as the opacity of the theme's accent.
            cell.style.setProperty('--heat', (v / max).toFixed(3));
            if (v / max > 0.55) cell.classList.add('hot');
            return cell;
        }))))
    );
    return table;
}

export function confusion(c: ConfusionView | undefined, title = 'Confusion matrix'): HTMLElement | undefined {
    return c ? section(title, h('div', { class: 'scroll-x' }, confusionGrid(c))) : undefined;
}

/** One section per evaluated split (runs say which; older results are all `test`). */
export function gallery(r: ResultsView, images: Record<string, string>): HTMLElement[] {
    const items = r.misclassified;
    if (!items?.length) return [];
    const splits = [...new Set(items.map((m) => m.split ?? 'test'))];
    return splits.map((split) => {
        const mine = items.filter((m) => (m.split ?? 'test') === split);
        return section(`Misclassified ${split === 'test' ? 'test images' : `images: ${split}`} (${mine.length})`,
            h('div', { class: 'gallery', 'data-split': split }, mine.slice(0, 64).map((m) =>
                h('figure', { title: m.source },
                    h('img', { src: m.image.startsWith('data:') ? m.image : (images[m.image] ?? ''), alt: `true ${m.trueLabel}, predicted ${m.predicted}` }),
                    h('figcaption', null, h('span', null, `true ${m.trueLabel}`), h('span', { class: 'pred' }, `pred ${m.predicted}${m.confidence !== undefined ? ` (${pct(m.confidence, 0)})` : ''}`))
                )
            ))
        );
    });
}

export function heads(r: ResultsView): HTMLElement[] {
    return (r.heads ?? []).map((hd) => section(`Head: ${hd.name}`,
        h('table', { class: 'metrics' }, h('tbody', null, Object.entries(hd.metrics).map(([k, v]) => h('tr', null, h('td', null, k), h('td', { class: 'num' }, show(k, v)))))),
        hd.perClass?.length ? classTable(hd.perClass) : null,
        hd.confusion ? h('div', { class: 'scroll-x' }, confusionGrid(hd.confusion)) : null
    ));
}

export function episodes(r: ResultsView): HTMLElement | undefined {
    const e = r.episodes;
    if (!e) return undefined;
    const what = [e.episodes && `${e.episodes} episodes`, e.way && `${e.way}-way`, e.shot !== undefined && `${e.shot}-shot`, e.query && `${e.query} queries per class`, e.std !== undefined && `std ${pct(e.std)}`].filter(Boolean).join(', ');
    return section('Few-shot episodes',
        h('div', { class: 'gain', id: 'episode-accuracy', 'data-value': e.accuracy },
            h('span', { class: 'muted' }, 'accuracy '),
            h('span', { class: 'big' }, pct(e.accuracy)),
            e.ci95 !== undefined ? h('span', { 'data-ci95': e.ci95 }, ` ± ${pct(e.ci95)}`) : null,
            e.ci95 !== undefined ? h('span', { class: 'muted' }, ' (95% confidence interval)') : null
        ),
        what ? h('p', { class: 'muted' }, what) : null
    );
}

const paramText = (params: Record<string, number | string>) => Object.entries(params).map(([k, v]) => `${k} ${v}`).join(', ');

export function sweepTable(s: SweepView | undefined): HTMLElement | undefined {
    if (!s?.trials.length) return undefined;
    const params = [...new Set(s.trials.flatMap((t) => Object.keys(t.params)))];
    const monitor = s.objective ? `${s.objective.direction} ${s.objective.monitor}` : 'objective';
    const value = (v: number | undefined) => (s.objective ? show(s.objective.monitor.replace(/^[a-z]+_/, ''), v) : fmt(v));
    const best = s.trials.find((t) => t.best);
    const title = `Sweep${s.sweep ? ` ${s.sweep}` : ''}${s.experiment ? ` of ${s.experiment}` : ''}`;
    return section(title,
        best
            ? h('p', { id: 'sweep-best', class: 'best' }, h('strong', null, `★ Best trial: ${best.name ?? `#${s.trials.indexOf(best) + 1}`}`), ` (${paramText(best.params)}): ${s.objective?.monitor ?? 'objective'} ${value(best.value)}`)
            : h('p', { class: 'muted' }, 'No trial produced the objective yet (see the status column).'),
        h('table', { class: 'metrics sweep', id: 'sweep-table' },
            h('thead', null, h('tr', null, h('th', null, 'rank'), h('th', null, 'trial'), ...params.map((p) => h('th', { class: 'num' }, p)), h('th', { class: 'num' }, monitor), h('th', null, 'status'), h('th', { class: 'num' }, 'time'))),
            h('tbody', null, s.trials.map((t, i) => h('tr', { class: t.best ? 'best' : '', 'data-trial': t.name ?? String(i + 1) },
                h('td', null, t.rank ?? '–'),
                h('td', null, t.best ? `★ ${t.name ?? i + 1}` : (t.name ?? i + 1)),
                ...params.map((p) => h('td', { class: 'num' }, t.params[p] ?? '–')),
                h('td', { class: 'num' }, value(t.value)),
                h('td', { title: t.error }, t.error ? `${t.status ?? 'failed'}: ${t.error}` : (t.status ?? '')),
                h('td', { class: 'num' }, t.seconds !== undefined ? `${t.seconds.toFixed(0)}s` : '')
            )))
        )
    );
}
