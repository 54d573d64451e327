import { describe, expect, it } from 'vitest';
import { panelHtml } from '../../../src/extension/panel/html.js';

describe('panelHtml', () => {
    it('has a strict CSP: nonce scripts only, no eval, no inline styles, local resources', () => {
        const html = panelHtml({ cspSource: 'https://res.example', scriptUri: 'https://res.example/panel.js', styleUri: 'https://res.example/panel.css', title: 'Graft: "x" <y>', nonce: 'abc123' });
        const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("script-src 'nonce-abc123'");
        expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|\*/);
        expect(html).toContain('<script nonce="abc123" src="https://res.example/panel.js">');
        expect(html).toContain('Graft: &#34;x&#34; &#60;y&#62;');
        expect(html.match(/<script/g)).toHaveLength(1);
    });
});
