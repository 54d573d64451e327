// Splits a child process's stdout into JSON lines. Chunks can end mid-line, and a runtime may print
// stray non-JSON lines (a library warning); those are passed on as text instead of being lost.

export class NdjsonSplitter {
    private pending = '';

    constructor(
        private readonly onObject: (value: unknown) => void,
        private readonly onText: (line: string) => void
    ) {}

    push(chunk: string): void {
        this.pending += chunk;
        let nl: number;
        while ((nl = this.pending.indexOf('\n')) >= 0) {
            const line = this.pending.slice(0, nl).replace(/\r$/, '');
            this.pending = this.pending.slice(nl + 1);
            this.line(line);
        }
    }

    /** Call when the stream ends: a last line without newline still counts. */
    end(): void {
        if (this.pending) this.line(this.pending);
        this.pending = '';
    }

    private line(line: string): void {
        const trimmed = line.trim();
        if (!trimmed) return;
        if (trimmed.startsWith('{')) {
            try {
                this.onObject(JSON.parse(trimmed));
                return;
            } catch {
                // fall through: not JSON after all
            }
        }
        this.onText(line);
    }
}
