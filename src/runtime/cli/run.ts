// Scaffold: replaced by the real `graft run`.
export async function run(args: string[]): Promise<number> {
    void args;
    console.error('graft run: not built yet');
    return 2;
}
