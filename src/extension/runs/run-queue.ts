// Runs wait here until a slot is free (`graft.maxParallelRuns`, default 1): training two models at
// once on a laptop mostly makes both slower.

export interface QueuedJob {
    id: string;
    start(): void;
}

export class RunQueue<J extends QueuedJob> {
    private readonly waiting: J[] = [];
    private readonly active = new Map<string, J>();

    constructor(private readonly maxParallel: () => number) {}

    /** Starts the job now if a slot is free; returns whether it had to wait. */
    submit(job: J): 'started' | 'queued' {
        this.waiting.push(job);
        this.pump();
        return this.active.has(job.id) ? 'started' : 'queued';
    }

    /** Call when a started job has ended. */
    done(id: string): void {
        this.active.delete(id);
        this.pump();
    }

    /** Removes a job that has not started yet. */
    cancelQueued(id: string): boolean {
        const i = this.waiting.findIndex((j) => j.id === id);
        if (i < 0) return false;
        this.waiting.splice(i, 1);
        return true;
    }

    get running(): J[] {
        return [...this.active.values()];
    }

    get queued(): J[] {
        return [...this.waiting];
    }

    private pump(): void {
        const limit = Math.max(1, Math.floor(this.maxParallel() || 1));
        while (this.active.size < limit && this.waiting.length) {
            const job = this.waiting.shift()!;
            this.active.set(job.id, job);
            job.start();
        }
    }
}
