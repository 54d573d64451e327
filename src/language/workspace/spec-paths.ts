// Paths in a spec are relative to the file that names them. One resolver for the validator,
// hover and the plan compiler, so the editor checks exactly the file a run will read.
import { dirname, isAbsolute, resolve } from 'node:path';
import { AstUtils, type AstNode } from 'langium';

/** The folder of the spec file holding `node`, or undefined for documents not on disk (untitled editors). */
export function specDir(node: AstNode): string | undefined {
    const uri = AstUtils.getDocument(node).uri;
    return uri.scheme === 'file' ? dirname(uri.fsPath) : undefined;
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * `path` as written in the spec, resolved against the spec's folder; URLs and absolute paths stay
 * as they are. Undefined when there is no path, or it is relative and the spec is not on disk.
 */
export function resolveSpecPath(node: AstNode, path: string): string | undefined;
export function resolveSpecPath(node: AstNode, path: string | undefined): string | undefined;
export function resolveSpecPath(node: AstNode, path: string | undefined): string | undefined {
    if (path === undefined) return undefined;
    if (URL_SCHEME.test(path) || isAbsolute(path)) return path;
    const dir = specDir(node);
    return dir === undefined ? undefined : resolve(dir, path);
}
