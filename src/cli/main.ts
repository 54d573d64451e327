// `graft <command> …`: dispatches to one module per command. Commands are imported lazily so
// that `graft check` and `graft fmt` never load TensorFlow.js.
import { GRAFT_VERSION } from '../core/version.js';
import { WorkspaceInputError } from '../language/workspace/input-error.js';

/** A command returns its exit code: 0 ok, 1 findings/failure, 2 usage or I/O problems. */
export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
    check: { summary: 'validate .graft files or folders as one workspace', load: async () => (await import('./check.js')).check },
    fmt: { summary: 'format .graft files in the canonical layout (--check to only report)', load: async () => (await import('./fmt.js')).fmt },
    plan: { summary: 'print the resolved experiment plan for review', load: async () => (await import('./plan.js')).plan },
    run: { summary: 'train an experiment (or a sweep) and record the run', load: async () => (await import('./run.js')).run },
    compare: { summary: 'show runs side by side, local and exported (engine, metrics, gains)', load: async () => (await import('./compare.js')).compare },
    export: { summary: 'write a project that trains the experiment on another engine (--to pytorch|keras)', load: async () => (await import('./export.js')).exportCommand },
    predict: { summary: 'classify images with a trained model (a run folder or an exported model)', load: async () => (await import('./predict.js')).predict },
    weights: { summary: 'fetch: download every weight file a spec needs into the cache, for offline runs', load: async () => (await import('./weights.js')).weights }
};

export function usage(): string {
    const lines = ['usage: graft <command> [options]', '', 'commands:'];
    for (const [name, cmd] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(7)} ${cmd.summary}`);
    lines.push('', 'Run `graft <command> --help` for a command\'s options.');
    return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
        console.log(usage());
        return name ? 0 : 2;
    }
    if (name === '--version') {
        console.log(`graft ${GRAFT_VERSION}`);
        return 0;
    }
    const cmd = COMMANDS[name];
    if (!cmd) {
        console.error(`graft: unknown command '${name}'\n\n${usage()}`);
        return 2;
    }
    try {
        return await (await cmd.load())(rest);
    } catch (err) {
        // Bad input must never surface as a stack trace; real bugs still show one under GRAFT_DEBUG.
        if (err instanceof WorkspaceInputError) {
            console.error(`graft ${name}: ${err.message}`);
            return 2;
        }
        console.error(`graft ${name}: ${(err as Error).message ?? String(err)}`);
        if (process.env.GRAFT_DEBUG) console.error((err as Error).stack);
        return 2;
    }
}
