// Messages between the results-panel host (extension) and its webview app. Plain JSON only.
import type { HistoryEntry, RunSnapshot } from '../runs/run-state.js';
import type { DiffLine } from '../runs/line-diff.js';

export interface RunView {
    view: 'run';
    run: RunSnapshot;
    history: HistoryEntry[];
    /** webview URIs for misclassified images, by their path in results. */
    images: Record<string, string>;
}

export interface CompareView {
    view: 'compare';
    a: RunSnapshot;
    b: RunSnapshot;
    specDiff: DiffLine[];
}

export type PanelState = RunView | CompareView;

/** What the webview persists with setState, so the serializer can reopen it after a restart. */
export interface PersistedState {
    /** The run folder(s) shown: one for a run, two for a comparison. */
    runDirs: string[];
    experiment?: string;
    specFile?: string;
}

export type ToWebview = { type: 'state'; state: PanelState; persist: PersistedState };

export type FromWebview =
    | { type: 'ready' }
    | { type: 'stop'; runId: string }
    | { type: 'openRun'; runDir: string }
    | { type: 'compare'; runDirs: [string, string] }
    | { type: 'compareWith'; runDir: string }
    | { type: 'openSpecDiff'; runDirs: [string, string] }
    | { type: 'reveal'; file: string; line: number }
    | { type: 'rerun' };
