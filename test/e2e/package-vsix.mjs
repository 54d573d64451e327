// `npm run package`: builds graft-<version>.vsix with vsce (offline flags), then proves it installs
// into a fresh code-server profile. Also used by run-e2e.mjs, whose UI tests use the installed .vsix.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerCli, node24Bin, prepareProfile } from './code-server.mjs';

const root = join(import.meta.dirname, '..', '..');

export function packageVsix() {
    const { name, version, publisher } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const file = join(root, `${name}-${version}.vsix`);
    const t0 = Date.now();
    execFileSync(join(node24Bin, 'node'), [join(import.meta.dirname, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', file], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`package: ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { file, id: `${publisher}.${name}`, version };
}

/** Installs the .vsix into the profile's extensions folder and checks code-server lists it. */
export function installVsix(dirs, vsix) {
    codeServerCli(dirs, ['--install-extension', vsix.file, '--force']);
    const listed = codeServerCli(dirs, ['--list-extensions', '--show-versions']);
    if (!listed.includes(`${vsix.id}@${vsix.version}`)) throw new Error(`code-server does not list ${vsix.id}@${vsix.version} after installing ${vsix.file}:\n${listed}`);
}

if (import.meta.filename === process.argv[1]) {
    const vsix = packageVsix();
    const tmp = mkdtempSync(join(tmpdir(), 'graft-vsix-'));
    try {
        installVsix(prepareProfile(tmp), vsix);
        console.log(`package: ${vsix.id}@${vsix.version} installs into a fresh code-server`);
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
}
