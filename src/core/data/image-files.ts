// Which files are image data: read by the runtime's data pipeline and by the validator's disk
// checks, so the editor counts exactly the images a run will read. No sharp here (the language
// server must not load it).

/** Extensions sharp decodes that make sense for photos. Other files are reported, not read. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

/** Files that are never data and not worth a warning (OS and editor litter). */
export function isIgnorable(name: string): boolean {
    return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
}
