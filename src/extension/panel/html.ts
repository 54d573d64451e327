// The results panel's HTML shell. Strict Content Security Policy: scripts only with this load's
// nonce (no inline handlers, no eval), styles and images only from the extension / run folders
// (plus data: images for results that embed them), no network.
import { randomBytes } from 'node:crypto';

export interface ShellOptions {
    cspSource: string;
    scriptUri: string;
    styleUri: string;
    title: string;
    nonce?: string;
}

export function makeNonce(): string {
    return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function panelHtml(o: ShellOptions): string {
    const nonce = o.nonce ?? makeNonce();
    const csp = [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        // No 'unsafe-inline': the app and chart.js style elements through the CSSOM (el.style.x = …),
        // which CSP does not restrict, never through style attributes or <style> blocks.
        `style-src ${o.cspSource}`,
        `img-src ${o.cspSource} data:`,
        `font-src ${o.cspSource}`
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(o.styleUri)}">
<title>${esc(o.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading results…</p></main>
<script nonce="${nonce}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}
