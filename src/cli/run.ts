// `graft run <file> [--experiment NAME] [--events] [--resume] [--backend X] [--runs-dir D]`:
// trains an experiment (its dependencies first when needed) and records the run folder.
// Exit codes: 0 completed, 1 failed or blocked by spec errors, 2 usage/I-O problems, 130 cancelled.

import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { displayPath } from './cli-input.js';
import type { RunEvent } from '../runtime/runs/events.js';

const HELP = `usage: graft run <file.graft> [--experiment NAME] [--seeds N|a,b,c] [--events] [--resume] [--backend wasm|cpu|…] [--runs-dir DIR]

Trains the experiment (the only one in the file, or --experiment NAME) and the experiments whose
backbones it uses when they have no up-to-date run. Every .graft file in the spec's folder belongs
to the workspace. Writes runs/<experiment>/<run-id>/ next to the spec (or under --runs-dir):
spec.graft, plan.json, events.ndjson, results.json, model/, checkpoint/.

  --seeds S     run the experiment and its baselines once per seed: N seeds from the spec's seed,
                or a list (1,2,3); results report mean ± spread (overrides the spec's seeds)
  --events      one JSON object per line on stdout (schema: docs/events.md)
  --resume      continue the newest unfinished run of the experiment from its last epoch
  --backend X   override the backend (default: the fastest available)
  --runs-dir D  where run folders go
Ctrl-C / SIGTERM ends the run as "cancelled", keeping everything written so far.`;

function fmt(v: number): string {
    return Math.abs(v) >= 100 || Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** Human output: a progress bar per stage on a terminal, else one line per epoch. */
function humanListener(): { listen: (e: RunEvent) => void; stop: () => void } {
    const tty = process.stderr.isTTY === true;
    let bar: { update: (v: number, p?: object) => void; stop: () => void; start: (t: number, v: number, p?: object) => void } | undefined;
    let barsModule: typeof import('cli-progress') | undefined;
    const pending: RunEvent[] = [];
    void import('cli-progress').then((m) => {
        barsModule = m;
        for (const e of pending.splice(0)) listen(e);
    });
    const stop = (): void => {
        bar?.stop();
        bar = undefined;
    };
    const listen = (e: RunEvent): void => {
        if (tty && !barsModule) {
            pending.push(e);
            return;
        }
        switch (e.type) {
            case 'run-start':
                process.stderr.write(`run ${e.experiment} → ${displayPath(e.runDir)} (backend ${e.backend}, ${e.seeds ? `seeds ${e.seeds.join(', ')}` : `seed ${e.seed}`})\n`);
                break;
            case 'stage-start': {
                stop();
                const tag = `${e.seed !== undefined ? `[seed ${e.seed}] ` : ''}${e.phase === 'main' ? '' : `[${e.phase}] `}`;
                if (tty && barsModule) {
                    const mod = barsModule;
                    bar = new mod.SingleBar({ format: `${tag}${e.stage} {bar} {value}/{total} epochs {metrics}`, hideCursor: true, stream: process.stderr }, mod.Presets.shades_classic);
                    bar.start(e.epochs, 0, { metrics: `(${e.trainableParams} trainable params)` });
                } else process.stderr.write(`${tag}stage ${e.stage}: ${e.epochs} epochs, ${e.trainableParams} trainable parameters\n`);
                break;
            }
            case 'epoch': {
                const m = Object.entries(e.metrics).map(([k, v]) => `${k} ${fmt(v ?? NaN)}`).join(' ');
                if (bar) bar.update(e.epoch, { metrics: `${m} (${e.seconds.toFixed(1)} s)` });
                else process.stderr.write(`  epoch ${e.epoch}/${e.epochs} ${m} lr ${e.lr.toPrecision(3)} (${e.seconds.toFixed(1)} s)\n`);
                break;
            }
            case 'log': {
                const where = e.at ? `${displayPath(e.at.file)}:${e.at.line}: ` : '';
                if (bar) process.stderr.write('\n');
                process.stderr.write(`${where}${e.level}: ${e.message}\n`);
                break;
            }
            case 'run-end':
                stop();
                break;
            default:
                break;
        }
    };
    return { listen, stop };
}

export async function run(args: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args,
            allowPositionals: true,
            options: {
                experiment: { type: 'string' },
                events: { type: 'boolean', default: false },
                resume: { type: 'boolean', default: false },
                seeds: { type: 'string' },
                backend: { type: 'string' },
                'runs-dir': { type: 'string' },
                help: { type: 'boolean', short: 'h', default: false }
            }
        });
    } catch (err) {
        console.error(`graft run: ${(err as Error).message}\n\n${HELP}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log(HELP);
        return 0;
    }
    if (parsed.positionals.length !== 1) {
        console.error(`graft run: give exactly one .graft file\n\n${HELP}`);
        return 2;
    }
    // A sweep's name, or a file that declares only a sweep: run its trials and write its table.
    const { selectSweep, runSweepCommand } = await import('./sweep-command.js');
    const { PlanSelectionError } = await import('../language/plan/workspace-plans.js');
    let sweep;
    try {
        sweep = await selectSweep(parsed.positionals[0], parsed.values.experiment);
    } catch (err) {
        if (!(err instanceof PlanSelectionError)) throw err;
        console.error(err.message);
        return 1;
    }
    if (sweep) return runSweepCommand(sweep, { events: parsed.values.events, backend: parsed.values.backend, runsDir: parsed.values['runs-dir'] });
    const { selectPlanOrExit } = await import('../language/plan/workspace-plans.js');
    const selected = await selectPlanOrExit(parsed.positionals[0], parsed.values.experiment);
    if (typeof selected === 'number') return selected;
    const { plans, specFile } = selected;
    let plan = selected.plan;
    if (parsed.values.seeds !== undefined) {
        const { seedsFromOption } = await import('../runtime/runs/seeds.js');
        const seeds = seedsFromOption(parsed.values.seeds, plan.seed);
        if (typeof seeds === 'string') {
            console.error(`graft run: ${seeds}\n\n${HELP}`);
            return 2;
        }
        plan = { ...plan, seed: seeds[0], seeds };
    }
    for (const w of selected.warnings) console.error(`${displayPath(w.file)}:${w.line}:${w.column}: warning: ${w.message}`);
    const runsRoot = parsed.values['runs-dir'] ? resolve(parsed.values['runs-dir']) : join(dirname(specFile), 'runs');

    const { chooseBackend } = await import('../runtime/runs/backend-choice.js');
    const { runExperiment } = await import('../runtime/runs/runner.js');
    const { defaultBackboneLoaders } = await import('../runtime/runs/weights-bridge.js');
    const backend = await chooseBackend(parsed.values.backend, plan.device, (m) => console.error(`graft run: ${m}`));

    // First signal: abort the run's waits, write everything, end as cancelled (the process is gone
    // within 2 s: see cancel-signals.ts). A second one writes the run's end and exits at once.
    const { cancelOnSignals } = await import('./cancel-signals.js');
    // Scratch folders of earlier runs whose process was killed (SIGKILL, OOM) go now.
    (await import('../runtime/scratch.js')).sweepStaleScratch();
    const stop = cancelOnSignals({ quiet: parsed.values.events, what: 'the run' });
    const human = parsed.values.events ? undefined : humanListener();
    if (human) (await import('./download-progress.js')).showDownloadProgress();
    try {
        const outcome = await runExperiment(
            plan,
            { plans, runsRoot, backend, backboneLoaders: defaultBackboneLoaders(stop.signal), cancelled: stop.cancelled, signal: stop.signal },
            { events: parsed.values.events, resume: parsed.values.resume, listeners: human ? [human.listen] : [] }
        );
        human?.stop();
        const r = outcome.results;
        if (!parsed.values.events) {
            if (outcome.status === 'failed') {
                const at = r.error?.at ? `${displayPath(r.error.at.file)}:${r.error.at.line}:${r.error.at.column}: ` : '';
                console.error(`${at}error: ${r.error?.message ?? 'the run failed'}`);
            }
            const { runSummary } = await import('./run-summary.js');
            const summary = runSummary(r, outcome.status, displayPath(outcome.runDir));
            console.error(summary.join('\n'));
        }
        return outcome.status === 'completed' ? 0 : outcome.status === 'cancelled' ? 130 : 1;
    } catch (err) {
        // The runs folder cannot be written at all (read-only, no permission, full): say where and what to do.
        const { diskError } = await import('../runtime/runs/files.js');
        const disk = diskError(err, runsRoot);
        if (!disk) throw err;
        human?.stop();
        console.error(`graft run: ${disk.message}`);
        return 2;
    } finally {
        stop.dispose();
    }
}
