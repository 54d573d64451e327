// One temporary folder per `npm test`: every temp folder a test makes (mkdtemp under os.tmpdir())
// and every one made by the graft processes, Python exports and caches the tests start lands in
// it, because they all read TMPDIR, and it is removed when the run ends. So a test run leaves
// nothing in the system temp dir, also when a test fails or times out before its own cleanup.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
    const previous = process.env.TMPDIR;
    const dir = mkdtempSync(join(tmpdir(), 'graft-tests-'));
    // Set before the test workers are forked, so they (and their children) inherit it.
    process.env.TMPDIR = dir;
    return () => {
        if (previous === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = previous;
        rmSync(dir, { recursive: true, force: true });
    };
}
