// Messages between the results-panel host (extension) and its webview app. Plain JSON only.
import type { HistoryEntry, RunSnapshot } from '../runs/run-state.js';
import type { DiffLine } from '../runs/line-diff.js';

export interface RunView {
    view: 'run';
    run: RunSnapshot;
    history: HistoryEntry[];
    /** webview URIs for misclassified images, by their path in results. */
    images: Record<string, string>;
    /** The run has a trained model (model/model.json): the panel offers the "Try the model" box. */
    canPredict?: boolean;
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

export type StateMessage = { type: 'state'; state: PanelState; persist: PersistedState };

/** The answer to a prediction request: the top classes of each output, or why there are none. */
export interface PredictionReply {
    type: 'prediction';
    /** The webview's request id (0 for a prediction the editor started, e.g. from the CodeLens). */
    requestId: number;
    runDir: string;
    /** The image's file name. */
    name: string;
    outputs?: { head: string; task: 'single_label' | 'multi_label'; predicted: string[]; top: { class: string; probability: number }[] }[];
    error?: string;
}

export type ToWebview = StateMessage | PredictionReply;

export type FromWebview =
    | { type: 'ready' }
    | { type: 'stop'; runId: string }
    | { type: 'openRun'; runDir: string }
    | { type: 'compare'; runDirs: [string, string] }
    | { type: 'compareWith'; runDir: string }
    | { type: 'openSpecDiff'; runDirs: [string, string] }
    | { type: 'reveal'; file: string; line: number }
    | { type: 'rerun' }
    /** An image dropped or chosen in the webview: its bytes, base64. */
    | { type: 'predictImage'; requestId: number; runDir: string; name: string; data: string }
    /** Files the editor can read: dropped from the explorer (URIs), or to be picked in a dialog (none given). */
    | { type: 'predictFiles'; requestId: number; runDir: string; uris?: string[] };
