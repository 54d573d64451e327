import { defineConfig } from 'vitest/config';

// Forks rather than worker threads: the WASM backend and sharp keep process-wide state,
// and training tests are CPU-heavy, so two processes on two cores is the right size.
export default defineConfig({
    test: {
        include: ['test/**/*.test.ts'],
        // test/faults: `npm run test:faults` (vitest.faults.config.ts).
        exclude: ['test/e2e/**', 'test/faults/**', 'node_modules/**'],
        // A private TMPDIR for the run, removed at the end (test/temp-dir.setup.ts).
        globalSetup: ['test/temp-dir.setup.ts'],
        pool: 'forks',
        poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        testTimeout: 120_000,
        hookTimeout: 120_000
    }
});
