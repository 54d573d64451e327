// How a file path is shown to the user: relative to the working directory (as compilers print
// them). Shared by the CLI, the plan selection and the exporters' messages.
import { isAbsolute, relative } from 'node:path';

export function displayPath(file: string): string {
    const rel = relative(process.cwd(), file);
    return rel && !isAbsolute(rel) ? rel : file;
}
