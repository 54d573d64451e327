// Scaffold: replaced by the real `graft plan`.
export async function plan(args: string[]): Promise<number> {
    void args;
    console.error('graft plan: not built yet');
    return 2;
}
