import { defineConfig } from 'vitest/config';

// `npm run test:faults`: the fault-injection suite (test/faults), apart from `npm test` because it
// starts dozens of real graft processes. One file, run in order, one process at a time besides
// the graft children it starts.
export default defineConfig({
    test: {
        include: ['test/faults/**/*.test.ts'],
        globalSetup: ['test/temp-dir.setup.ts'],
        pool: 'forks',
        poolOptions: { forks: { maxForks: 1, minForks: 1 } },
        testTimeout: 120_000,
        hookTimeout: 120_000
    }
});
