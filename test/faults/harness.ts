// The fault suite's tools: real `graft run` processes (node bin/graft.js, the built CLI), real
// misbehaving servers on 127.0.0.1, checks of a run folder (every JSON file parses), and the
// table of results the suite prints and writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const FASHION = join(ROOT, 'examples/data/fashion5');
export const SHIFTED = join(ROOT, 'examples/data/fashion5-shifted');

/** A two-stage run: a frozen backbone (features cached), then fine-tuning; checkpoints, two evaluations. */
export function faultSpec(opts: { backbone?: string; epochs?: number; sweep?: boolean } = {}): string {
    const epochs = opts.epochs ?? 3;
    return `dataset fashion {
  source folder "${FASHION}"
  image 16 x 16 grayscale
  normalize unit
  split train 60%, val 20%, test 20% stratified
}
dataset shifted {
  source folder "${SHIFTED}"
  image 16 x 16 grayscale
  normalize unit
}
experiment faults_run {
  data fashion
  ${opts.backbone ?? 'backbone small_cnn filters 8, 16'}
  freeze all
  head {
    pool average
    dense 16 relu
    dropout 0.2
    output softmax
  }
  optimizer adam lr 1e-2
  train {
    epochs ${epochs}
    batch 32
    checkpoint best val_accuracy
  }
  stage fine_tune {
    unfreeze last 1 blocks
    optimizer adam lr 1e-3
    epochs ${epochs}
  }
  evaluate on test
  evaluate on shifted
  metrics accuracy, f1 macro, confusion
  seed 5
}
${opts.sweep ? `sweep faults_sweep of faults_run {
  vary lr 1e-2, 3e-3, 1e-3
  objective max val_accuracy
}
` : ''}`;
}

/** A private folder (under the suite's TMPDIR) holding the spec; its runs go to <dir>/runs. */
export function caseDir(spec: string): { dir: string; file: string; runs: string; tmp: string } {
    const dir = mkdtempSync(join(tmpdir(), 'graft-fault-'));
    const file = join(dir, 'faults.graft');
    writeFileSync(file, spec);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    return { dir, file, runs: join(dir, 'runs'), tmp };
}

export interface Child {
    proc: ChildProcess;
    events: Record<string, any>[];
    stderr: () => string;
    /** Resolves with the first event (already seen or to come) that matches. */
    waitFor(pred: (e: Record<string, any>) => boolean): Promise<Record<string, any> | undefined>;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `node bin/graft.js <args>` with --events on stdout. */
export function startGraft(args: string[], env: Record<string, string> = {}): Child {
    const proc = spawn(process.execPath, [join(ROOT, 'bin/graft.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const events: Record<string, any>[] = [];
    const waiters: { pred: (e: Record<string, any>) => boolean; resolve: (e: Record<string, any> | undefined) => void }[] = [];
    let buffer = '';
    let err = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            let e: Record<string, any>;
            try {
                e = JSON.parse(line);
            } catch {
                continue;
            }
            events.push(e);
            for (const w of [...waiters]) {
                if (w.pred(e)) {
                    waiters.splice(waiters.indexOf(w), 1);
                    w.resolve(e);
                }
            }
        }
    });
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
    void exit.then(() => {
        for (const w of waiters.splice(0)) w.resolve(undefined);
    });
    return {
        proc,
        events,
        stderr: () => err,
        waitFor: (pred) => {
            const seen = events.find(pred);
            if (seen) return Promise.resolve(seen);
            if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(undefined);
            return new Promise((resolve) => waiters.push({ pred, resolve }));
        },
        exit
    };
}

/** The run folders under a runs root (runs/<experiment>/<id>, and seed/trial folders inside). */
export function runFolders(runs: string): string[] {
    if (!existsSync(runs)) return [];
    return readdirSync(runs).flatMap((exp) => readdirSync(join(runs, exp)).map((id) => join(runs, exp, id)).filter((d) => statSync(d).isDirectory()));
}

/** Every .json file under `dir` parses, and every line of every .ndjson file; returns the problems. */
export function jsonProblems(dir: string): string[] {
    const problems: string[] = [];
    const walk = (d: string): void => {
        for (const name of readdirSync(d)) {
            const p = join(d, name);
            if (statSync(p).isDirectory()) walk(p);
            else if (name.endsWith('.json')) {
                try {
                    JSON.parse(readFileSync(p, 'utf8'));
                } catch (err) {
                    problems.push(`${p}: ${(err as Error).message}`);
                }
            } else if (name.endsWith('.ndjson')) {
                readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0).forEach((l, i) => {
                    try {
                        JSON.parse(l);
                    } catch (err) {
                        problems.push(`${p}:${i + 1}: ${(err as Error).message}`);
                    }
                });
            }
        }
    };
    if (existsSync(dir)) walk(dir);
    return problems;
}

export const readJson = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8'));

// ---- servers on 127.0.0.1

export interface TestServer {
    url: string;
    /** Resolves when the first request (or connection) arrives. */
    hit: Promise<void>;
    close(): Promise<void>;
}

/** A promise and the function that resolves it: a server's "first request arrived". */
function signalled(): { promise: Promise<void>; fire: () => void } {
    let fire!: () => void;
    const promise = new Promise<void>((r) => (fire = r));
    return { promise, fire };
}

/** Starts `server` on a free port of 127.0.0.1; `close` runs `stop` (drop its connections) first. */
async function onLocalPort(server: TcpServer | Server, hit: Promise<void>, stop: () => void): Promise<TestServer> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}/model.json`,
        hit,
        close: () => new Promise((r) => {
            stop();
            server.close(() => r());
        })
    };
}

/** Accepts connections and never answers. */
export async function hangingServer(): Promise<TestServer> {
    const sockets = new Set<import('node:net').Socket>();
    const hit = signalled();
    const server: TcpServer = createTcpServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('data', () => hit.fire());
    });
    return onLocalPort(server, hit.promise, () => {
        for (const s of sockets) s.destroy();
    });
}

/** Answers 200 with a large Content-Length, then sends one byte every `everyMs`. */
export async function tricklingServer(everyMs = 100): Promise<TestServer> {
    const hit = signalled();
    const timers = new Set<NodeJS.Timeout>();
    const server: Server = createHttpServer((req, res) => {
        hit.fire();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
        res.write('{');
        const t = setInterval(() => res.write(' '), everyMs);
        timers.add(t);
        res.on('close', () => clearInterval(t));
    });
    return onLocalPort(server, hit.promise, () => {
        for (const t of timers) clearInterval(t);
        server.closeAllConnections();
    });
}

/** Promises 1000 bytes, sends 100, then cuts the connection. */
export async function cuttingServer(): Promise<TestServer> {
    const hit = signalled();
    const server: Server = createHttpServer((req, res) => {
        hit.fire();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"modelTopology": ' + ' '.repeat(82));
        setTimeout(() => res.socket?.destroy(), 50);
    });
    return onLocalPort(server, hit.promise, () => server.closeAllConnections());
}

// ---- the table

export interface Row {
    case: string;
    /** What the run was doing when the fault came (the last event before it). */
    at: string;
    exitMs: number | undefined;
    code: string;
    status: string;
    jsonOk: boolean;
    metricsEqual: string;
}

export function table(rows: Row[]): string {
    const head = '| case | fault during | exit after | exit code | final status | every JSON parses | metrics = uninterrupted run |\n|---|---|---:|---:|---|---|---|\n';
    return head + rows.map((r) => `| ${r.case} | ${r.at} | ${r.exitMs === undefined ? '–' : `${r.exitMs} ms`} | ${r.code} | ${r.status} | ${r.jsonOk ? 'yes' : 'NO'} | ${r.metricsEqual} |`).join('\n') + '\n';
}

/** The seeded PRNG of the kill moments: the project's own (src/runtime/data/prng.ts). */
export { mulberry32 as seeded } from '../../src/runtime/data/prng.js';
