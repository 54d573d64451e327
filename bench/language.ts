// Language benchmark (npm run bench:language; not a test). Generates a 2,000-line workspace of
// 50 .graft files with cross-file references in a temp folder, then prints:
// - the time of a full check in-process (parse, link, validate all files: what `graft check` does
//   after start-up) and of the `graft check` command as a whole (a fresh node process);
// - through the real language server over stdio (out/bundle/language-server.cjs, built by
//   `npm run build`): the time until diagnostics for all 50 files arrived, and p50/p95 of
//   completion and hover requests at realistic positions.
// Targets: full check < 1 s, completion p95 < 50 ms.
//
//   npm run bench:language                 # 200 completion and 200 hover requests
//   npm run bench:language -- --requests 500

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import rpc from 'vscode-languageserver-protocol/node.js';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { checkFiles } from '../src/cli/check.js';
import { generateWorkspace } from './language-workspace.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const serverBundle = join(repo, 'out/bundle/language-server.cjs');
const args = process.argv.slice(2);
const requestsAt = args.indexOf('--requests');
const requests = (requestsAt >= 0 ? Number(args[requestsAt + 1]) : 200) || 200;

const percentile = (values: number[], p: number): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (v: number): string => `${v.toFixed(1)} ms`;

interface Probe {
    file: string;
    line: number;
    character: number;
    what: string;
}

/** Positions where people ask for completion or hover, found in the generated text. */
function probes(files: string[]): { completion: Probe[]; hover: Probe[] } {
    const completion: Probe[] = [];
    const hover: Probe[] = [];
    for (const file of files) {
        const lines = readFileSync(file, 'utf8').split('\n');
        lines.forEach((text, line) => {
            const at = (needle: string, offset = needle.length): number => text.indexOf(needle) + offset;
            if (text.startsWith('  data ')) {
                completion.push({ file, line, character: text.length, what: 'dataset name' });
                hover.push({ file, line, character: at('  data ', 8), what: 'dataset reference' });
            }
            if (text.includes('freeze until "')) {
                completion.push({ file, line, character: at('until "', 9), what: 'layer name' });
                hover.push({ file, line, character: at('until "', 10), what: 'layer name' });
            }
            if (text.includes('unfreeze from "')) hover.push({ file, line, character: at('from "', 9), what: 'layer name' });
            if (text.startsWith('  backbone ')) {
                completion.push({ file, line, character: '  backbone '.length, what: 'backbone' });
                hover.push({ file, line, character: '  backbone '.length + 2, what: 'backbone' });
            }
            if (text === '  head {') completion.push({ file, line: line - 1, character: lines[line - 1].length, what: 'statement keyword' });
            if (text.startsWith('  metrics ')) completion.push({ file, line, character: text.length, what: 'metric' });
            if (text.includes('source folder "')) completion.push({ file, line, character: at('folder "', 8 + 'data/'.length), what: 'path' });
            if (text.startsWith('  optimizer')) hover.push({ file, line, character: 4, what: 'keyword' });
        });
    }
    return { completion, hover };
}

/**
 * CPU time (user + system) the server process has used, from /proc (Linux): unlike wall time it
 * does not grow when other processes compete for the cores.
 */
function serverCpuMs(pid: number | undefined): number | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
        return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
    } catch {
        return undefined;
    }
}

function spread<T>(items: T[], count: number): T[] {
    return Array.from({ length: count }, (_, i) => items[(i * 7919) % items.length]);
}

async function main(): Promise<void> {
    if (!existsSync(serverBundle)) {
        console.error(`bench:language: ${serverBundle} is missing; run \`npm run build\` first.`);
        process.exit(2);
    }
    const dir = mkdtempSync(join(tmpdir(), 'graft-bench-language-'));
    try {
        const ws = generateWorkspace(dir);
        console.log(`workspace: ${ws.files.length} files, ${ws.lines} lines in ${dir}`);

        // Full check in-process: warm once (module loading, JIT), then measure.
        await checkFiles(ws.files);
        const runs: number[] = [];
        const cpu: number[] = [];
        let findings = 0;
        for (let i = 0; i < 5; i++) {
            const t0 = performance.now();
            const c0 = process.cpuUsage();
            findings = (await checkFiles(ws.files)).length;
            runs.push(performance.now() - t0);
            const c = process.cpuUsage(c0);
            cpu.push((c.user + c.system) / 1000);
        }
        console.log(`machine load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores (wall times suffer when it exceeds the cores)`);
        console.log(`full check (in-process: fresh services, 50 files parsed, linked, validated): wall best ${ms(Math.min(...runs))}, median ${ms(percentile(runs, 50))}; CPU best ${ms(Math.min(...cpu))}; ${findings} diagnostics`);

        const cli = join(repo, 'bin/graft.js');
        if (existsSync(join(repo, 'out/cli/main.js'))) {
            // bash's `time` reports the child's CPU, which load on the machine does not inflate.
            const t0 = performance.now();
            const result = spawnSync('bash', ['-c', 'TIMEFORMAT="cpu %U %S"; time "$0" "$1" check "$2"', process.execPath, cli, dir], { encoding: 'utf8' });
            const wall = performance.now() - t0;
            const stderr = (result.stderr ?? '').trim().split('\n');
            const cpuLine = stderr.find((l) => l.startsWith('cpu '));
            const cpu = cpuLine ? cpuLine.split(' ').slice(1).reduce((a, b) => a + Number(b) * 1000, 0) : undefined;
            const summary = stderr.filter((l) => !l.startsWith('cpu ')).at(-1);
            console.log(`graft check <dir> (new node process, exit ${result.status}): wall ${ms(wall)}${cpu !== undefined ? `, CPU ${ms(cpu)}` : ''} — ${summary}`);
        }

        await languageServer(ws.files, dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

async function languageServer(files: string[], dir: string): Promise<void> {
    const server = spawn(process.execPath, [serverBundle, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = rpc.createProtocolConnection(new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
    const diagnosed = new Map<string, number>();
    let allDiagnosed: (() => void) | undefined;
    const diagnosedAll = new Promise<void>((resolve) => (allDiagnosed = resolve));
    connection.onNotification(rpc.PublishDiagnosticsNotification.type, (p: PublishDiagnosticsParams) => {
        diagnosed.set(p.uri, p.diagnostics.length);
        if (diagnosed.size >= files.length) allDiagnosed?.();
    });
    connection.onRequest(rpc.ConfigurationRequest.type, (p) => p.items.map(() => ({})));
    connection.onRequest(rpc.RegistrationRequest.type, () => undefined);
    connection.onRequest(rpc.WorkDoneProgressCreateRequest.type, () => undefined);
    connection.listen();
    const rootUri = pathToFileURL(dir).href;
    await connection.sendRequest(rpc.InitializeRequest.type, {
        processId: process.pid,
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: 'bench' }],
        capabilities: { workspace: { configuration: true, workspaceFolders: true }, textDocument: { completion: { completionItem: { snippetSupport: false } } } }
    });
    await connection.sendNotification(rpc.InitializedNotification.type, {});
    // The server indexes the workspace on start-up and validates the documents that are open:
    // open all 50 and time until every one has its diagnostics.
    const t0 = performance.now();
    for (const file of files) {
        await connection.sendNotification(rpc.DidOpenTextDocumentNotification.type, {
            textDocument: { uri: pathToFileURL(file).href, languageId: 'graft', version: 1, text: readFileSync(file, 'utf8') }
        });
    }
    const timeout = setTimeout(() => allDiagnosed?.(), 60_000);
    await diagnosedAll;
    clearTimeout(timeout);
    const errors = [...diagnosed.values()].reduce((a, b) => a + b, 0);
    console.log(`language server: all ${files.length} files opened → diagnostics for ${diagnosed.size} files after ${ms(performance.now() - t0)} (${errors} diagnostics)`);

    const { completion, hover } = probes(files);
    const time = async (probe: Probe, kind: 'completion' | 'hover'): Promise<{ ms: number; count: number }> => {
        const params = { textDocument: { uri: pathToFileURL(probe.file).href }, position: { line: probe.line, character: probe.character } };
        const start = performance.now();
        if (kind === 'completion') {
            const list = await connection.sendRequest(rpc.CompletionRequest.type, params);
            const count = Array.isArray(list) ? list.length : (list?.items.length ?? 0);
            return { ms: performance.now() - start, count };
        }
        const h = await connection.sendRequest(rpc.HoverRequest.type, params);
        return { ms: performance.now() - start, count: h ? 1 : 0 };
    };
    for (const kind of ['completion', 'hover'] as const) {
        const list = kind === 'completion' ? completion : hover;
        for (const probe of list.slice(0, 5)) await time(probe, kind); // warm-up
        const cpu0 = serverCpuMs(server.pid);
        const byWhat = new Map<string, number[]>();
        const all: number[] = [];
        let empty = 0;
        for (const probe of spread(list, requests)) {
            const r = await time(probe, kind);
            all.push(r.ms);
            if (r.count === 0) empty++;
            byWhat.set(probe.what, [...(byWhat.get(probe.what) ?? []), r.ms]);
        }
        const parts = [...byWhat.entries()].map(([what, v]) => `${what} p50 ${ms(percentile(v, 50))}`).join(', ');
        const cpu1 = serverCpuMs(server.pid);
        const cpuNote = cpu0 !== undefined && cpu1 !== undefined ? `; server CPU ${ms((cpu1 - cpu0) / all.length)} per request` : '';
        console.log(`${kind}: ${all.length} requests, p50 ${ms(percentile(all, 50))}, p95 ${ms(percentile(all, 95))}, max ${ms(Math.max(...all))}${empty ? `, ${empty} empty` : ''}${cpuNote}`);
        console.log(`  ${parts}`);
    }
    await connection.sendRequest(rpc.ShutdownRequest.type);
    await connection.sendNotification(rpc.ExitNotification.type);
    connection.dispose();
    server.kill();
}

await main();
