// Lists as messages say them, for the validator and the runtime's refusals alike.

/** `a`, `a and b`, `a, b and c` (or `… or c`). */
export function listText(items: readonly string[], last: 'and' | 'or' = 'and'): string {
    return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}
