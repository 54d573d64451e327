// The end-of-run sections: test metrics, transfer gain, per-class report, confusion heat map,
// misclassified gallery, per-head sections, few-shot episodes, sweep table.
import { BASELINE_LABELS, type ClassReport, type ConfusionView, type ResultsView, type SpreadView, type SweepView, type TransferGainView } from '../../runs/results-view.js';
import { fmt, h, pct, section, signedPct } from './dom.js';

// A rate (shown as a percentage) by its name, also with a split or head prefix: `val_accuracy`, `tags_map`, `f1_macro`.
const PERCENT_METRICS = /(^|_)(accuracy|acc|top_?\d+|precision|recall|f1|auc|map)(_|$)/i;
const show = (name: string, v: number | undefined) => (PERCENT_METRICS.test(name) ? pct(v) : fmt(v));
/** A value with its spread over seeds: `74.7% ± 1.2%`. */
const showSpread = (name: string, v: number | undefined, s: SpreadView | undefined) =>
    s && s.n > 1 && v !== undefined ? `${show(name, v)} ± ${PERCENT_METRICS.test(name) ? pct(s.std) : fmt(s.std)}` : show(name, v);

export function metricsTable(r: ResultsView): HTMLElement | undefined {
    const splits = Object.keys(r.metrics);
    if (!splits.length) return undefined;
    // Test first: it is the number that matters; train/val are there for context.
    splits.sort((a, b) => (a === 'test' ? -1 : b === 'test' ? 1 : a.localeCompare(b)));
    // accuracy first, the loss last: the table reads from what people report to what they debug
    const rank = (n: string) => (n === 'accuracy' ? 0 : /loss/.test(n) ? 2 : 1);
    const names = [...new Set(splits.flatMap((s) => Object.keys(r.metrics[s]!)))].sort((a, b) => rank(a) - rank(b));
    const bases = (r.baselines ?? []).filter((b) => b.metrics.test);
    const spread = r.seeds?.spread;
    const head = h('tr', null, h('th', null, 'metric'), ...splits.map((s) => h('th', { class: 'num' }, s)),
        ...bases.map((b) => h('th', { class: 'num', title: BASELINE_LABELS[b.kind].long }, `${BASELINE_LABELS[b.kind].short} (test)`)));
    const rows = names.map((n) =>
        h('tr', { 'data-metric': n },
            h('td', null, n),
            ...splits.map((s) => h('td', { class: 'num', 'data-split': s }, showSpread(n, r.metrics[s]![n], spread?.[s]?.[n]))),
            ...bases.map((b) => h('td', { class: 'num', 'data-baseline': b.kind }, showSpread(n, b.metrics.test![n], b.spread?.test?.[n])))
        )
    );
    return section('Test metrics', seedsNote(r), h('table', { class: 'metrics', id: 'metrics-table' }, h('thead', null, head), h('tbody', null, rows)), thresholds(r));
}

/** Over how many seeds the numbers are, or that there is only one. */
function seedsNote(r: ResultsView): HTMLElement | undefined {
    const s = r.seeds;
    if (!s) return undefined;
    const failed = s.values.length - s.completed.length;
    return h('p', { class: 'muted', id: 'seeds-note' }, `Mean ± spread (sample standard deviation) over ${s.completed.length} seed${s.completed.length === 1 ? '' : 's'} (${s.completed.join(', ')})${failed ? `; ${failed} of ${s.values.length} did not complete` : ''}.`);
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

function gainRow(g: TransferGainView): HTMLElement {
    const label = BASELINE_LABELS[g.against];
    const negative = g.value < 0;
    const notSignificant = g.significant === false;
    return h('div', { class: `gain ${notSignificant ? 'neutral' : negative ? 'negative' : 'positive'}`, id: `transfer-gain-${g.against}`, 'data-value': g.value, 'data-against': g.against, ...(g.significant !== undefined ? { 'data-significant': String(g.significant) } : {}) },
        h('span', { class: 'big' }, signedPct(g.value), g.spread ? ` ± ${pct(g.spread.std)}` : ''),
        h('span', { class: 'muted' }, ` ${g.metric}: ${pct(g.experiment)} with transfer vs ${pct(g.baseline)} against ${label.short} (${label.long})`),
        g.spread ? h('span', { class: notSignificant ? 'badge not-significant' : 'badge significant' }, notSignificant ? `not significant over ${g.spread.n} seeds` : `over ${g.spread.n} seeds`) : null
    );
}

export function transferGain(r: ResultsView): HTMLElement | undefined {
    const gains = r.gains ?? (r.transferGain ? [r.transferGain] : []);
    if (!gains.length) return undefined;
    const headline = gains[0]!;
    // Negative transfer is judged against training from scratch, and only when it stands out of the spread.
    const negative = headline.value < 0 && headline.against !== 'random_features' && headline.significant !== false;
    const single = !r.seeds && gains.some((g) => g.against === 'scratch');
    return section(headline.against === 'scratch' ? 'Transfer gain vs. training from scratch' : 'Gain vs. random features',
        h('div', { id: 'transfer-gain', 'data-value': headline.value, 'data-against': headline.against }, gains.map(gainRow)),
        single ? h('p', { class: 'muted small' }, 'One seed: no spread measured, so the gain cannot be called significant. Add ', h('code', null, 'seeds 1, 2, 3'), ' to the experiment to measure it.') : null,
        negative
            ? h('div', { class: 'warning', role: 'alert' }, h('strong', null, '⚠ Negative transfer. '), 'The pretrained backbone made this experiment worse than training every layer of the same network from random weights. Check that source and target domains are related, unfreeze more layers, or lower the learning rate.')
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

/** What reading an older results.json changed, or why a results file could not be read. */
export function fileNotes(r: ResultsView): HTMLElement | undefined {
    const lines = [...(r.notes ?? []), ...(r.error && !r.experiment ? [r.error] : [])];
    return lines.length ? section('About this results file', h('ul', { class: 'logs' }, lines.map((l) => h('li', { class: 'warning' }, l)))) : undefined;
}
