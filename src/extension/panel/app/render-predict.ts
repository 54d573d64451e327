// "Try the model": a box in a completed run's panel that takes an image (dropped from the desktop
// or the explorer, or chosen) and shows the model's top classes. The webview cannot read files:
// a dropped desktop file goes to the host as bytes, an explorer item as its URI, and "Choose…"
// lets the host open its file dialog. The host runs `graft predict` on the panel's run.
import type { FromWebview, PredictionReply } from '../protocol.js';
import { h, pct, section } from './dom.js';

// main.ts's Post, spelled out: importing main.ts would pull the whole app into unit tests.
type Post = (m: FromWebview) => void;

interface Box {
    el: HTMLElement;
    zone?: HTMLElement;
    result: HTMLElement;
    preview: HTMLImageElement;
    pending?: number;
}

/** One box per run folder, kept across re-renders so a result stays shown while the panel updates. */
const boxes = new Map<string, Box>();
let nextRequest = 1;

function setStatus(box: Box, text: string, cls = 'muted'): void {
    box.result.replaceChildren(h('p', { class: cls }, text));
}

function readAsBase64(file: File): Promise<string> {
    return new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
        reader.onerror = () => reject(reader.error ?? new Error('cannot read the file'));
        reader.readAsDataURL(file);
    });
}

/** Editor drags (explorer, tabs) carry URIs; desktop drags carry files. */
function droppedUris(dt: DataTransfer): string[] {
    const raw = dt.getData('application/vnd.code.uri-list') || dt.getData('text/uri-list');
    return raw.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

async function onDrop(e: DragEvent, box: Box, runDir: string, post: Post): Promise<void> {
    e.preventDefault();
    box.zone?.classList.remove('dragging');
    const dt = e.dataTransfer;
    if (!dt) return;
    const requestId = nextRequest++;
    const uris = droppedUris(dt);
    const file = dt.files?.[0];
    if (file) {
        if (file.type && !file.type.startsWith('image/')) return setStatus(box, `${file.name} is not an image (${file.type}).`, 'predict-error');
        box.pending = requestId;
        setStatus(box, `Classifying ${file.name}…`);
        try {
            const data = await readAsBase64(file);
            box.preview.src = `data:${file.type || 'image/png'};base64,${data}`;
            box.preview.hidden = false;
            post({ type: 'predictImage', requestId, runDir, name: file.name, data });
        } catch (err) {
            setStatus(box, `Cannot read ${file.name}: ${(err as Error).message}`, 'predict-error');
        }
        return;
    }
    if (uris.length) {
        box.pending = requestId;
        box.preview.hidden = true;
        setStatus(box, `Classifying ${decodeURIComponent(uris[0]!.split('/').pop() ?? '')}…`);
        post({ type: 'predictFiles', requestId, runDir, uris });
    }
}

export function predictBox(runDir: string, post: Post): HTMLElement {
    const existing = boxes.get(runDir);
    if (existing) return existing.el;
    const result = h('div', { class: 'predict-result', id: 'predict-result', 'aria-live': 'polite' });
    const preview = h('img', { class: 'predict-preview', alt: 'the image classified', hidden: true });
    const box: Box = { el: h('div'), result, preview };
    const choose = () => {
        const requestId = nextRequest++;
        box.pending = requestId;
        box.preview.hidden = true;
        setStatus(box, 'Choose an image in the dialog…');
        post({ type: 'predictFiles', requestId, runDir });
    };
    const zone = h('div', {
        class: 'drop-zone', id: 'predict-drop', tabindex: 0, role: 'button', 'aria-label': 'Drop an image to classify it with this run\'s model, or press Enter to choose one',
        ondragover: (e: Event) => { e.preventDefault(); zone.classList.add('dragging'); },
        ondragleave: () => zone.classList.remove('dragging'),
        ondrop: (e: Event) => void onDrop(e as DragEvent, box, runDir, post),
        onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') { e.preventDefault(); choose(); } }
    },
        h('span', null, 'Drop an image here (from the desktop or the explorer, hold Shift in VS Code), or '),
        h('button', { class: 'secondary', id: 'predict-choose', onclick: (e: Event) => { e.stopPropagation(); choose(); } }, 'Choose image…')
    );
    box.zone = zone;
    box.el = section('Try the model', h('p', { class: 'muted small' }, 'The image is decoded, resized and normalised as the training images were (graft predict).'), zone, h('div', { class: 'predict-out' }, preview, result));
    box.el.id = 'predict-box';
    boxes.set(runDir, box);
    return box.el;
}

/** Shows a reply in its run's box (a stale reply — an older request — is ignored). */
export function showPrediction(reply: PredictionReply): void {
    const box = boxes.get(reply.runDir);
    if (!box) return;
    if (reply.requestId !== 0 && box.pending !== undefined && reply.requestId !== box.pending) return;
    box.pending = undefined;
    if (reply.requestId === 0) box.preview.hidden = true;
    if (reply.error) return setStatus(box, reply.error, 'predict-error');
    const outputs = reply.outputs ?? [];
    box.result.replaceChildren(
        h('p', null, h('strong', null, reply.name)),
        ...outputs.map((o) =>
            h('div', { class: 'predict-output', 'data-head': o.head },
                outputs.length > 1 || o.task === 'multi_label'
                    ? h('div', { class: 'muted' }, `${outputs.length > 1 ? `${o.head}: ` : ''}${o.task === 'multi_label' ? `tags at or above their threshold: ${o.predicted.join(', ') || 'none'}` : ''}`)
                    : null,
                h('table', { class: 'metrics predict-top' },
                    h('tbody', null, o.top.map((s, i) => {
                        const bar = h('div', { class: 'bar' });
                        bar.style.width = `${Math.max(0, Math.min(100, s.probability * 100)).toFixed(1)}%`;
                        return h('tr', { class: o.predicted.includes(s.class) ? 'predicted' : '', 'data-class': s.class, 'data-rank': i + 1 },
                            h('td', null, s.class),
                            h('td', { class: 'num' }, pct(s.probability)),
                            h('td', { class: 'bar-cell' }, bar)
                        );
                    }))
                )
            )
        )
    );
}
