// Which engine trained a run. Local runs are Graft's own (results.json has no `engine`, or
// `{name: 'graft'}`); a project written by `graft export` records the engine it ran on (PyTorch
// DDP under torchrun, Keras under tf.distribute) so that history, the panel and `graft compare`
// can list exported runs beside local ones and say which is which. Read leniently: results.json
// files come from other programs and older versions.

export interface EngineInfo {
    /** `graft` for local runs; the exported project's framework otherwise. */
    name: string;
    /** The framework's version, when the run recorded it. */
    version?: string;
    /** How the work was spread: `ddp` (PyTorch DistributedDataParallel), a tf.distribute strategy, … */
    distributed?: string;
    /** Collective backend, e.g. `gloo` or `nccl`. */
    collective?: string;
    /** Number of processes (replicas) that trained. */
    worldSize?: number;
}

const PRETTY: Record<string, string> = { graft: 'Graft', pytorch: 'PyTorch', torch: 'PyTorch', keras: 'Keras', tensorflow: 'TensorFlow' };
const DIST: Record<string, string> = { ddp: 'DDP', mirrored: 'MirroredStrategy', multi_worker_mirrored: 'MultiWorkerMirroredStrategy' };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * The engine of a results.json object: its `engine` field as an object (`{name, version,
 * distributed, collective | distributedBackend | backend, worldSize | world_size}`, where a name
 * like `pytorch-ddp` also gives `distributed`) or a short string such as
 * `pytorch-ddp`; Graft when absent or unreadable.
 */
export function readEngine(results: unknown): EngineInfo {
    const raw = results && typeof results === 'object' ? (results as { engine?: unknown }).engine : undefined;
    if (typeof raw === 'string' && raw.trim()) {
        const [name, ...rest] = raw.trim().toLowerCase().split(/[-_\s]+/);
        return { name: name!, distributed: rest.length ? rest.join('_') : undefined };
    }
    if (raw && typeof raw === 'object') {
        const o = raw as Record<string, unknown>;
        // `pytorch-ddp` names the framework and how it spreads the work in one word.
        const [name, ...how] = str(o.name)?.toLowerCase().split(/[-_\s]+/) ?? [];
        if (name) {
            return {
                name,
                version: str(o.version),
                distributed: str(o.distributed)?.toLowerCase() ?? (how.length ? how.join('_') : undefined),
                collective: str(o.collective) ?? str(o.distributedBackend) ?? str(o.backend),
                worldSize: int(o.worldSize) ?? int(o.world_size)
            };
        }
    }
    return { name: 'graft' };
}

export const isLocalEngine = (e: EngineInfo): boolean => e.name === 'graft';

/** `Graft`, `PyTorch 1.13.1 DDP ×2 (gloo)`, `Keras MirroredStrategy`: what a history row shows. */
export function engineLabel(e: EngineInfo): string {
    const parts = [PRETTY[e.name] ?? e.name];
    // `torch 1.13.0` or `tensorflow 2.15.0`: the framework is already named.
    if (e.version) parts.push(e.version.replace(/^(torch|pytorch|tensorflow|tf|keras)\s+/i, ''));
    if (e.distributed) parts.push(DIST[e.distributed] ?? e.distributed);
    if (e.worldSize) parts.push(`×${e.worldSize}`);
    if (e.collective) parts.push(`(${e.collective})`);
    return parts.join(' ');
}
