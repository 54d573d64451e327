// Builds Graft's native kernels (native/graft_kernels.cc, oneDNN) with node-gyp, as part of
// `npm run build` (so `npm install` runs it). Optional: without a C++ compiler or oneDNN's
// headers the build says why and stops here, and Graft runs every kernel on wasm instead.
//   apt-get install g++ libdnnl-dev   (Debian/Ubuntu; oneDNN is "onednn" in Homebrew and conda)
// GRAFT_NATIVE=0 skips the build (and the addon at run time).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addon = join(nativeDir, 'build', 'Release', 'graft_kernels.node');

if (process.env.GRAFT_NATIVE === '0') {
    console.log('native kernels: skipped (GRAFT_NATIVE=0)');
    process.exit(0);
}

/** node-gyp: the one npm runs scripts with, else npm's bundled copy, else one on PATH. */
function nodeGyp() {
    if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return [process.execPath, process.env.npm_config_node_gyp];
    try {
        const npmDir = dirname(createRequire(import.meta.url).resolve('npm/package.json', { paths: [dirname(process.execPath), '/usr/lib/node_modules', '/usr/local/lib/node_modules'] }));
        const script = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
        if (existsSync(script)) return [process.execPath, script];
    } catch {
        // No npm package beside node: try PATH.
    }
    return ['node-gyp'];
}

const [cmd, ...pre] = nodeGyp();
const args = [...pre, 'rebuild', '--directory', nativeDir];
// npm sets npm_config_nodedir from .npmrc; node-gyp would otherwise download Node's headers.
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const started = Date.now();
const result = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status === 0 && existsSync(addon)) {
    console.log(`native kernels: built ${addon.slice(root.length + 1)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} else {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    const missing = /dnnl\.hpp: No such file/.test(output)
        ? "oneDNN's headers are missing (apt-get install libdnnl-dev)"
        : /not found|ENOENT|No such file or directory.*(g\+\+|make|python)/.test(output)
          ? 'a build tool is missing (node-gyp needs python3, make and g++)'
          : (output.split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exited with ${result.status}`).trim();
    // A half-built addon from an earlier build must not be loaded.
    rmSync(join(nativeDir, 'build'), { recursive: true, force: true });
    console.warn(`native kernels: not built (${missing}); Graft runs every kernel on wasm, which trains convolutions several times slower.`);
}
