// One AbortController per `graft run` (or sweep): SIGINT, SIGTERM, SIGHUP and a broken --events
// pipe abort it, and its signal reaches every wait of the run (downloads, decoding, feature
// caching, batches, evaluation, sweeps). The run then unwinds and writes its end as `cancelled`.
// A process must be gone within 2 s of the stop, whatever it is waiting for: if the run has not
// ended after a grace period, the ends of the active runs are written at once and the process
// exits. A second signal does the same without waiting.

import { CancelledError } from '../runtime/train/phase-types.js';
import { endActiveRuns } from '../runtime/runs/active-runs.js';

/** How long the run may take to unwind after a stop before the process exits anyway (ms). */
function graceMs(): number {
    const v = Number(process.env.GRAFT_CANCEL_GRACE_MS);
    return Number.isFinite(v) && v >= 0 ? v : 1500;
}

export interface RunCancellation {
    signal: AbortSignal;
    cancelled(): boolean;
    /** Removes the signal handlers (the grace timer, if started, stays: it ends a process that lingers). */
    dispose(): void;
}

export function cancelOnSignals(options: { quiet: boolean; what: string }): RunCancellation {
    const controller = new AbortController();
    const exitNow = (): never => {
        endActiveRuns('cancelled');
        process.exit(130);
    };
    const cancel = (why: string): void => {
        if (controller.signal.aborted) return;
        controller.abort(new CancelledError());
        if (!options.quiet) process.stderr.write(`\n${why}: cancelling ${options.what} (again to exit at once)…\n`);
        // Unref'd: a run that unwinds in time exits normally and this never fires.
        setTimeout(exitNow, graceMs()).unref();
    };
    const onSignal = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) exitNow();
        cancel(signal);
    };
    // A reader that goes away (`graft run --events | head`, a closed editor pipe): stop as cancelled,
    // writing the run's end, instead of dying on EPIPE with results.json saying `running`.
    const onBrokenPipe = (err: NodeJS.ErrnoException): void => {
        if (err.code !== 'EPIPE') return;
        process.stdout.write = (() => true) as typeof process.stdout.write;
        cancel('EPIPE');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    process.stdout.on('error', onBrokenPipe);
    return {
        signal: controller.signal,
        cancelled: () => controller.signal.aborted,
        dispose: () => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            process.off('SIGHUP', onSignal);
            process.stdout.off('error', onBrokenPipe);
        }
    };
}
