// The run view: header with progress and ETA, live curves per phase, the final results, history.
import type { RunView } from '../protocol.js';
import type { HistoryEntry, PhaseSeries, RunSnapshot } from '../../runs/run-state.js';
import { engineLabel, isLocalEngine } from '../../../runtime/runs/engine.js';
import { duration, fmt, h, pct, section, signedPct } from './dom.js';
import { lineChart, phaseCurves } from './charts.js';
import { confusion, episodes, fileNotes, gallery, heads, metricsTable, perClass, sweepTable, transferGain } from './render-results.js';
import type { Post } from './main.js';
import { predictBox } from './render-predict.js';

const seedTitle = (ser: { seed?: number }) => (ser.seed !== undefined ? `Seed ${ser.seed} · ` : '');
const PHASE_TITLE = (p: string) =>
    p === 'main' ? 'Training'
    : p === 'baseline:scratch' ? 'Baseline: scratch (every layer from random weights)'
    : p === 'baseline:random_features' || p === 'baseline' ? 'Baseline: random features (same freezing, random backbone)'
    : `Dependency: ${p.replace(/^dependency:/, '')}`;

function header(run: RunSnapshot, post: Post): HTMLElement {
    const running = run.status === 'running' || run.status === 'queued';
    const frac = run.status === 'completed' ? 1 : run.epochsTotal ? run.epochsDone / run.epochsTotal : 0;
    const cur = run.current;
    const progressText = running
        ? cur
            ? `${cur.seed !== undefined ? `seed ${cur.seed} · ` : ''}${PHASE_TITLE(cur.phase)} · stage ${cur.stage} · epoch ${cur.epoch}/${cur.epochs} · ${run.epochsDone}/${run.epochsTotal} epochs${run.eta !== undefined ? ` · ETA ${duration(run.eta)}` : ''}`
            : run.status === 'queued' ? 'Waiting for a free run slot…' : 'Preparing data and model…'
        : `${run.epochsDone} epochs${(run.seconds ?? run.results?.seconds) !== undefined ? ` in ${duration(run.seconds ?? run.results?.seconds)}` : ''}`;
    // A sweep's progress bar follows its current trial; say which one.
    const trial = running && run.sweep && run.trial ? `Trial ${run.trial.index} of sweep ${run.sweep} (${run.trial.experiment}) · ` : '';
    const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(frac * 100) }, h('div', { class: 'fill' }));
    (bar.firstChild as HTMLElement).style.width = `${(frac * 100).toFixed(1)}%`;
    return h('header', { class: 'run-header' },
        h('div', { class: 'title-row' },
            h('h1', null, run.experiment),
            h('span', { class: `badge status-${run.status}`, id: 'run-status' }, run.status),
            engineBadge(run),
            run.backend ? h('span', { class: 'badge', title: 'TensorFlow.js backend' }, `backend: ${run.backend}`) : null,
            run.seed !== undefined ? h('span', { class: 'badge' }, `seed ${run.seed}`) : null,
            h('span', { class: 'spacer' }),
            running ? h('button', { id: 'stop', onclick: () => post({ type: 'stop', runId: run.runId }) }, '■ Stop') : h('button', { class: 'secondary', onclick: () => post({ type: 'rerun' }) }, '▶ Run again')
        ),
        bar,
        h('div', { class: 'muted', id: 'progress-text' }, trial + progressText),
        run.runDir ? h('div', { class: 'muted small' }, run.runDir) : null
    );
}

function errorBox(run: RunSnapshot, post: Post): HTMLElement | undefined {
    if (!run.error) return undefined;
    const at = run.error.at;
    return h('div', { class: 'error', role: 'alert' },
        h('strong', null, 'Run failed: '), run.error.message,
        at ? h('div', null, h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); post({ type: 'reveal', file: at.file, line: at.line }); } }, `${at.file.split(/[\\/]/).pop()}:${at.line}`)) : null
    );
}

function curves(run: RunSnapshot, canvases: Map<string, HTMLDivElement>, keep: Set<string>): HTMLElement | undefined {
    if (!run.series.length) return undefined;
    const cards = run.series.map((ser: PhaseSeries) => {
        const last = ser.points.at(-1);
        const charts = (['loss', 'metric'] as const).map((kind) => {
            const key = `${run.runId}:${ser.phase}:${ser.seed ?? ''}:${kind}`;
            keep.add(key);
            // The wrapper is kept across renders: chart.js watches its size.
            let wrap = canvases.get(key);
            if (!wrap) canvases.set(key, (wrap = h('div', { class: 'chart' }, h('canvas', { 'data-chart': key }))));
            const canvas = wrap.querySelector('canvas')!;
            // drawn after insertion into the page (chart.js measures the parent)
            queueMicrotask(() => lineChart(key, canvas, `${seedTitle(ser)}${PHASE_TITLE(ser.phase)} ${kind}`, phaseCurves(ser, kind), ser.stages, kind === 'loss' ? 'loss' : 'metric'));
            return wrap;
        });
        return section(`${seedTitle(ser)}${PHASE_TITLE(ser.phase)} — ${ser.stages.map((s) => s.stage).join(' → ') || 'train'}`,
            last ? h('div', { class: 'muted small' }, `last epoch: ${Object.entries(last.metrics).map(([k, v]) => `${k} ${/loss/.test(k) ? fmt(v) : pct(v)}`).join(' · ')} · lr ${fmt(last.lr)}`) : null,
            h('div', { class: 'charts' }, charts)
        );
    });
    return h('div', { class: 'phases' }, cards);
}

/** Runs of exported projects say which engine trained them; Graft's own runs show their backend badge. */
function engineBadge(run: RunSnapshot): HTMLElement | null {
    const engine = run.results?.engine;
    if (!engine || isLocalEngine(engine)) return null;
    return h('span', { class: 'badge engine', id: 'run-engine', title: 'trained by a project written with `graft export`' }, `engine: ${engineLabel(engine)}`);
}

function history(entries: HistoryEntry[], current: RunSnapshot, post: Post): HTMLElement | undefined {
    if (!entries.length) return undefined;
    return section(`Run history (${entries.length})`,
        h('table', { class: 'metrics history' },
            h('thead', null, h('tr', null, h('th', null, 'run'), h('th', null, 'engine'), h('th', null, 'status'), h('th', { class: 'num' }, 'result'), h('th', { class: 'num' }, 'gain'), h('th', { class: 'num' }, 'time'), h('th', null, ''))),
            h('tbody', null, entries.map((e) => h('tr', { class: e.runDir === current.runDir ? 'current' : '' },
                h('td', null, h('a', { href: '#', title: e.runDir, onclick: (ev: Event) => { ev.preventDefault(); post({ type: 'openRun', runDir: e.runDir }); } }, e.runId)),
                h('td', { class: e.local ? 'engine' : 'engine exported', title: e.local ? 'trained by Graft on this machine' : 'trained by a project written with `graft export`' }, e.engine),
                h('td', null, h('span', { class: `badge status-${e.status}` }, e.status)),
                h('td', { class: 'num' }, e.headline ? `${e.headline.name} ${pct(e.headline.value)}` : '–'),
                h('td', { class: 'num' }, e.transferGain !== undefined ? signedPct(e.transferGain) : '–'),
                h('td', { class: 'num' }, duration(e.seconds)),
                h('td', null, e.runDir !== current.runDir && current.runDir ? h('button', { class: 'link', onclick: () => post({ type: 'compareWith', runDir: e.runDir }) }, 'compare') : null)
            )))
        )
    );
}

function logs(run: RunSnapshot, post: Post): HTMLElement | undefined {
    const shown = run.logs.filter((l) => l.level !== 'info').slice(-20);
    if (!shown.length) return undefined;
    return section('Warnings', h('ul', { class: 'logs' }, shown.map((l) => h('li', { class: l.level }, l.message, l.at ? h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); post({ type: 'reveal', file: l.at!.file, line: l.at!.line }); } }, ` (line ${l.at.line})`) : null))));
}

export function renderRun(root: HTMLElement, v: RunView, canvases: Map<string, HTMLDivElement>, keep: Set<string>, post: Post): void {
    const r = v.run.results;
    const parts: (HTMLElement | undefined)[] = [header(v.run, post), errorBox(v.run, post)];
    if (r) parts.push(fileNotes(r), transferGain(r), metricsTable(r), episodes(r), perClass(r.perClass, 'Per class (test)'), confusion(r.confusion, 'Confusion matrix (test)'), ...heads(r), sweepTable(r.sweep), ...gallery(r, v.images));
    // After the results it can be checked against: the model itself, on the user's own images.
    if (v.canPredict && v.run.runDir) parts.push(predictBox(v.run.runDir, post));
    parts.push(curves(v.run, canvases, keep), logs(v.run, post), history(v.history, v.run, post));
    root.replaceChildren(...parts.filter((p): p is HTMLElement => !!p));
}
