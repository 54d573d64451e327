// Chart colours from the VS Code theme (the webview gets the theme as CSS variables and a body
// class: vscode-light, vscode-dark, vscode-high-contrast[-light]).

export interface Palette {
    fg: string;
    muted: string;
    grid: string;
    series: string[];
    highContrast: boolean;
}

function v(name: string, fallback: string): string {
    const s = getComputedStyle(document.body).getPropertyValue(name).trim();
    return s || fallback;
}

export function palette(): Palette {
    const hc = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
    return {
        fg: v('--vscode-editor-foreground', v('--vscode-foreground', '#888')),
        muted: v('--vscode-descriptionForeground', '#888'),
        grid: hc ? v('--vscode-contrastBorder', '#888') : v('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)'),
        series: [
            v('--vscode-charts-blue', '#3794ff'),
            v('--vscode-charts-orange', '#d18616'),
            v('--vscode-charts-green', '#89d185'),
            v('--vscode-charts-purple', '#b180d7'),
            v('--vscode-charts-red', '#f14c4c'),
            v('--vscode-charts-yellow', '#cca700')
        ],
        highContrast: hc
    };
}

/** Calls back when the user switches theme while the panel is open. */
export function onThemeChange(cb: () => void): void {
    new MutationObserver(cb).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
