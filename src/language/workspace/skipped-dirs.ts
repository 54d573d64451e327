/**
 * Folders never searched for specs: dependencies, build output and run folders (each run keeps a
 * copy of its spec, which would redeclare every name). Hidden folders are skipped too.
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', 'runs', 'out']);
