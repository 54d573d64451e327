// The results-panel webview app. It renders whatever state the extension host sends, keeps the
// last state with setState (so a hidden/restored panel redraws at once), and asks the host for
// everything else through messages: it has no access to files or the network (see the CSP).
import './panel.css';
import type { FromWebview, PersistedState, StateMessage, ToWebview } from '../protocol.js';
import { pruneCharts, recolorCharts } from './charts.js';
import { onThemeChange } from './theme.js';
import { renderRun } from './render-run.js';
import { renderCompare } from './render-compare.js';
import { showPrediction } from './render-predict.js';

export type Post = (m: FromWebview) => void;

interface VsCodeApi {
    postMessage(m: FromWebview): void;
    getState(): SavedState | undefined;
    setState(s: SavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** PersistedState (read by the extension's serializer) plus the last message for an instant redraw. */
type SavedState = PersistedState & { last?: StateMessage };

const vscode = acquireVsCodeApi();
const root = document.getElementById('app')!;
const wrappers = new Map<string, HTMLDivElement>();
const post: Post = (m) => vscode.postMessage(m);

function render(msg: StateMessage): void {
    const keep = new Set<string>();
    if (msg.state.view === 'run') renderRun(root, msg.state, wrappers, keep, post);
    else renderCompare(root, msg.state, wrappers, keep, post);
    for (const k of [...wrappers.keys()]) if (!keep.has(k)) wrappers.delete(k);
    pruneCharts(keep);
    document.body.dataset.status = msg.state.view === 'run' ? msg.state.run.status : 'compare';
}

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
    const msg = e.data;
    if (msg?.type === 'prediction') return showPrediction(msg);
    if (!msg || msg.type !== 'state') return;
    render(msg);
    vscode.setState({ ...msg.persist, last: msg });
});

onThemeChange(() => recolorCharts());

const saved = vscode.getState();
if (saved?.last) render(saved.last);
post({ type: 'ready' });
