// The Graft version, recorded in what Graft writes for others (exported models' graft-model.json)
// and printed by `graft --version`. A test keeps it equal to package.json's version: bundles
// (the extension, the CLI under out/) cannot rely on finding package.json at run time.
export const GRAFT_VERSION = '0.1.0';
