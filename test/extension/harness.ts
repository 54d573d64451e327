// A minimal test harness for the extension host (the @vscode/test-electron `run()` contract):
// named async tests run in order; failures are collected and make run() reject, which the
// test driver turns into a non-zero exit code. No mocha: nothing to download or configure.

export interface TestCase {
    name: string;
    fn: () => Promise<void> | void;
    timeoutMs: number;
}

const cases: TestCase[] = [];

export function test(name: string, fn: TestCase['fn'], timeoutMs = 60_000): void {
    cases.push({ name, fn, timeoutMs });
}

export async function runAll(log: (line: string) => void = console.log): Promise<void> {
    const failures: string[] = [];
    for (const c of cases) {
        const t0 = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
            await Promise.race([
                Promise.resolve().then(c.fn),
                new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs)))
            ]);
            log(`  ✓ ${c.name} (${Date.now() - t0} ms)`);
        } catch (err) {
            const e = err as Error;
            log(`  ✗ ${c.name} (${Date.now() - t0} ms)\n      ${(e.stack ?? e.message).split('\n').join('\n      ')}`);
            failures.push(c.name);
        } finally {
            clearTimeout(timer);
        }
    }
    log(`${cases.length - failures.length} passed, ${failures.length} failed`);
    if (failures.length) throw new Error(`${failures.length} extension-host test(s) failed: ${failures.join('; ')}`);
}

/** Polls until `check` returns a truthy value. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await check();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
