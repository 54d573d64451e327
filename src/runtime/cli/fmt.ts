// Scaffold: replaced by the real `graft fmt`.
export async function fmt(args: string[]): Promise<number> {
    void args;
    console.error('graft fmt: not built yet');
    return 2;
}
