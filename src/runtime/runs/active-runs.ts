// The runs this process is in the middle of, each with a way to write its end at once. A stop
// that cannot wait for the run to unwind (a second Ctrl-C, or a first one whose run did not end
// within the grace period) calls endActiveRuns() before exiting, so results.json and
// events.ndjson still say `cancelled` and carry their end instead of `running`.

type EndNow = (status: 'cancelled') => void;

const active: EndNow[] = [];

/** Registers a run's synchronous "write my end now"; returns the function that unregisters it. */
export function registerActiveRun(endNow: EndNow): () => void {
    active.push(endNow);
    return () => {
        const at = active.indexOf(endNow);
        if (at >= 0) active.splice(at, 1);
    };
}

/** Writes the end of every run still active, innermost (latest) first. Never throws. */
export function endActiveRuns(status: 'cancelled' = 'cancelled'): number {
    let n = 0;
    for (const endNow of active.splice(0).reverse()) {
        try {
            endNow(status);
            n++;
        } catch {
            // A run whose folder cannot be written any more: nothing more can be done for it here.
        }
    }
    return n;
}
