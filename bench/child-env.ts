// The environment every process the benchmark times runs in, Graft's and PyTorch's alike.
//
// glibc hands a freed block above its mmap threshold back to the kernel, and the next allocation
// of that size faults every page in again. PyTorch frees and reallocates its activations and
// gradients every step; on this kind of virtual machine a page fault costs several microseconds
// (one `torch_digits.py` run took 3.7 million of them: 28 s of system time, 45 s instead of 17 s
// wall). Keeping freed memory in the process (mmap threshold at its 32 MB maximum, no trimming)
// is the standard tuning for PyTorch on CPUs (its docs suggest jemalloc or tcmalloc for the same
// reason), so the reference is measured as fast as it can be made. Graft's tensors live in the
// WebAssembly heap, which never shrinks; the same settings leave its times unchanged.
export const MALLOC_TUNING: Record<string, string> = {
    MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
    MALLOC_TRIM_THRESHOLD_: String(16 * 1024 ** 3),
    MALLOC_TOP_PAD_: String(256 * 1024 * 1024)
};

/** The current environment with the allocator settings above and `extra`. */
export function benchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...MALLOC_TUNING, ...extra };
}
