// A tiny real experiment on the shipped fashion5 images (8×8 grayscale, a 2-block small_cnn),
// written into a temporary folder so that its runs/ folder is private to the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FASHION = join(import.meta.dirname, '../../examples/data/fashion5');
export const ROOT = join(import.meta.dirname, '../..');

export function tinySpec(epochs: number, extra = ''): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'graft-run-'));
    const file = join(dir, 'tiny.graft');
    writeFileSync(
        file,
        `dataset tiny {
  source folder "${FASHION}"
  image 8 x 8 grayscale
  split train 60%, val 20%, test 20% stratified
}

experiment tiny_run {
  data tiny
  backbone small_cnn filters 4, 8
  head {
    pool average
    output softmax
  }
  optimizer adam lr 1e-2
  train {
    epochs ${epochs}
    batch 32
  }
  metrics accuracy, f1 macro, confusion
  ${extra}
  seed 5
}
`
    );
    return { dir, file };
}

/** Starts `graft <args>` as a child process from the sources. */
export function graft(args: string[]): ChildProcess {
    return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/runs/cli-entry.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the first stdout JSON event matching `pred`. */
export function waitForEvent(child: ChildProcess, pred: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
        let buffer = '';
        child.stdout!.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + 1);
                try {
                    const e = JSON.parse(line) as Record<string, unknown>;
                    if (pred(e)) resolve(e);
                } catch {
                    // not an event line
                }
            }
        });
        child.on('exit', (code) => reject(new Error(`graft exited (${code}) before the event`)));
    });
}

export function exited(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.on('exit', (code) => resolve(code));
    });
}
