// Fault injection for the fault suite (test/faults): `GRAFT_FAILPOINTS=<name>[,<name>]` makes the
// named point of a run wait forever without checking the cancellation, as a wait no check covers
// would (a hung network file system, a stuck driver call). It is how the suite shows that the
// watchdog still ends such a run within its grace period. Off unless the variable names a point.

/** The points a run passes: after its data is indexed and loaded (before the first stage). */
export type Failpoint = 'after-data';

export async function failpoint(name: Failpoint, log: (message: string) => void): Promise<void> {
    if (!(process.env.GRAFT_FAILPOINTS ?? '').split(',').includes(name)) return;
    log(`failpoint ${name}: waiting forever (GRAFT_FAILPOINTS)`);
    // A ref'd timer keeps the process alive, as a pending I/O would.
    await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}
