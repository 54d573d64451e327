// Scaffold: replaced by the real `graft check`.
export async function check(args: string[]): Promise<number> {
    void args;
    console.error('graft check: not built yet');
    return 2;
}
