// Runs the graft CLI from the TypeScript sources (via tsx) in a child process, for tests that
// need a real process to kill or signal.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
