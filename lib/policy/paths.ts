/**
 * POSIX path normalization for path_under / path_not_under. Lexical only (the engine is pure and
 * cannot resolve symlinks): `.` and empty segments vanish, `..` pops a segment and never climbs
 * above the root, so no spelling of a path can escape a jail the normalized form stays in.
 */

export class PathFactError extends Error {}

/** Normalize an absolute path; throws PathFactError for anything that is not one (fail closed). */
export function normalizeAbsolutePath(input: unknown): string {
  if (typeof input !== "string") throw new PathFactError(`path must be a string, got ${describeType(input)}`);
  if (input.length === 0) throw new PathFactError("path is empty");
  if (input.includes("\0")) throw new PathFactError("path contains a NUL byte");
  if (input[0] !== "/") throw new PathFactError(`path ${JSON.stringify(input)} is not absolute`);
  const out: string[] = [];
  for (const seg of input.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

/** True when `path` is `root` or inside it. Both must already be normalized. */
export function isUnder(path: string, root: string): boolean {
  if (root === "/") return true;
  // Compare on a segment boundary: `/sandbox/tmpevil` is not under `/sandbox/tmp`.
  return path === root || (path.length > root.length && path.startsWith(root) && path.charCodeAt(root.length) === 47);
}

export function isUnderAny(path: string, roots: readonly string[]): boolean {
  for (const r of roots) if (isUnder(path, r)) return true;
  return false;
}

export function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
