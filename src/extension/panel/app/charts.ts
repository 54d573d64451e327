// Training curves with chart.js. Charts are created once per key and updated in place on each
// live event (no re-creation, no animation), so a 30-epoch run streams without flicker.
import { Chart, LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import type { PhaseSeries, StageMark } from '../../runs/run-state.js';
import { palette, type Palette } from './theme.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

/** Dashed vertical lines where a stage starts, labelled with the stage name. */
const stageLines: Plugin<'line'> = {
    id: 'graftStages',
    afterDatasetsDraw(chart) {
        const marks = (chart.options.plugins as { graftStages?: { marks: StageMark[]; color: string } }).graftStages;
        if (!marks || marks.marks.length < 2) return;
        const { ctx, chartArea, scales } = chart;
        ctx.save();
        ctx.strokeStyle = marks.color;
        ctx.fillStyle = marks.color;
        ctx.setLineDash([4, 4]);
        ctx.font = '11px var(--vscode-font-family, sans-serif)';
        for (const [i, m] of marks.marks.entries()) {
            const x = scales.x!.getPixelForValue(m.x - 0.5);
            // The first stage starts at the axis: label it, no line.
            if (i === 0) {
                ctx.fillText(m.stage, chartArea.left + 4, chartArea.top + 10);
                continue;
            }
            if (x < chartArea.left - 1 || x > chartArea.right + 1) continue;
            ctx.beginPath();
            ctx.moveTo(x, chartArea.top);
            ctx.lineTo(x, chartArea.bottom);
            ctx.stroke();
            ctx.fillText(m.stage, x + 4, chartArea.top + 10);
        }
        ctx.restore();
    }
};
Chart.register(stageLines);

export interface Curve {
    label: string;
    /** y null: the metric was NaN that epoch (a gap in the line). */
    points: { x: number; y: number | null }[];
    /** Colour index: the same metric keeps its colour across charts. */
    color: number;
    dashed?: boolean;
}

const charts = new Map<string, Chart<'line'>>();

function datasets(curves: Curve[], p: Palette): ChartDataset<'line', { x: number; y: number }[]>[] {
    return curves.map((c) => ({
        label: c.label,
        data: c.points,
        borderColor: p.series[c.color % p.series.length],
        backgroundColor: p.series[c.color % p.series.length],
        borderDash: c.dashed ? [6, 4] : [],
        borderWidth: p.highContrast ? 2.5 : 1.8,
        pointRadius: c.points.length > 40 ? 0 : 2,
        tension: 0.15,
        // read back by recolorCharts after a theme switch
        ...({ colorIndex: c.color } as object)
    }));
}

/** Creates or updates the chart in `canvas` (kept by key across renders). */
export function lineChart(key: string, canvas: HTMLCanvasElement, title: string, curves: Curve[], marks: StageMark[], yLabel: string): Chart<'line'> {
    const p = palette();
    const existing = charts.get(key);
    if (existing && existing.canvas === canvas) {
        existing.data.datasets = datasets(curves, p);
        (existing.options.plugins as Record<string, unknown>).graftStages = { marks, color: p.muted };
        existing.update('none');
        return existing;
    }
    existing?.destroy();
    const chart = new Chart<'line', { x: number; y: number }[]>(canvas, {
        type: 'line',
        data: { datasets: datasets(curves, p) },
        options: {
            animation: false,
            responsive: true,
            maintainAspectRatio: false,
            parsing: false,
            interaction: { mode: 'nearest', axis: 'x', intersect: false },
            scales: {
                x: { type: 'linear', title: { display: true, text: 'epoch', color: p.muted }, ticks: { color: p.muted, precision: 0 }, grid: { color: p.grid } },
                y: { type: 'linear', title: { display: true, text: yLabel, color: p.muted }, ticks: { color: p.muted }, grid: { color: p.grid } }
            },
            plugins: {
                legend: { labels: { color: p.fg, boxWidth: 24, usePointStyle: true, pointStyle: 'line' } },
                tooltip: { enabled: true },
                // consumed by the stageLines plugin
                ...({ graftStages: { marks, color: p.muted } } as object)
            }
        }
    });
    chart.canvas.setAttribute('aria-label', title);
    charts.set(key, chart);
    return chart;
}

/** Drops charts whose canvases left the page. */
export function pruneCharts(keep: Set<string>): void {
    for (const [k, c] of charts) {
        if (!keep.has(k)) {
            c.destroy();
            charts.delete(k);
        }
    }
}

/** Re-applies theme colours to every chart. */
export function recolorCharts(): void {
    const p = palette();
    for (const c of charts.values()) {
        for (const [i, ds] of c.data.datasets.entries()) {
            const idx = (ds as { colorIndex?: number }).colorIndex ?? i;
            ds.borderColor = p.series[idx % p.series.length];
            ds.backgroundColor = p.series[idx % p.series.length];
        }
        const s = c.options.scales as Record<string, { ticks: { color: string }; grid: { color: string }; title: { color: string } }>;
        for (const ax of Object.values(s)) {
            ax.ticks.color = p.muted;
            ax.grid.color = p.grid;
            ax.title.color = p.muted;
        }
        (c.options.plugins as { legend: { labels: { color: string } } }).legend.labels.color = p.fg;
        c.update('none');
    }
}

/** Curves of a phase: train solid, val dashed, same colour per metric. */
export function phaseCurves(series: PhaseSeries, kind: 'loss' | 'metric'): Curve[] {
    const keys = new Set<string>();
    for (const pt of series.points) for (const k of Object.keys(pt.metrics)) keys.add(k);
    const base = [...new Set([...keys].map((k) => k.replace(/^val_/, '')))].filter((k) => (kind === 'loss' ? /loss/.test(k) : !/loss/.test(k)));
    // accuracy first, then alphabetical; at most 4 metrics per chart to stay readable
    base.sort((a, b) => (a === 'accuracy' ? -1 : b === 'accuracy' ? 1 : a.localeCompare(b)));
    const out: Curve[] = [];
    base.slice(0, 3).forEach((m, i) => {
        // train and val of a metric: neighbouring palette colours, val dashed (readable without colour too)
        for (const [key, dashed, label, shade] of [[m, false, `train ${m}`, 0], [`val_${m}`, true, `val ${m}`, 1]] as const) {
            if (!keys.has(key)) continue;
            out.push({ label, color: i * 2 + shade, dashed, points: series.points.filter((p) => p.metrics[key] !== undefined).map((p) => ({ x: p.x, y: p.metrics[key] ?? null })) });
        }
    });
    return out;
}
