// A problem with what the user asked for (a path, a name): reported as one line, exit code 2.
// Kept apart from the workspace loader so that the CLI can recognise it without loading Langium.
export class WorkspaceInputError extends Error {}
