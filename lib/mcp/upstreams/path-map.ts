import path from "node:path";
import type { FactMap } from "./config";

/**
 * Rewrites the path arguments of a call from virtual prefixes to real folders. Paths are normalized
 * first (`..` cannot climb out of a prefix into the host); paths outside every prefix pass
 * unchanged, for the upstream to refuse.
 */
export function mapPaths(args: Record<string, unknown>, facts: FactMap | undefined, map: Record<string, string>, baseDir: string): Record<string, unknown> {
  const prefixes = Object.entries(map);
  if (prefixes.length === 0) return args;
  const sources = facts?.path === undefined ? ["path"] : Array.isArray(facts.path) ? facts.path : [facts.path];
  const out = { ...args };
  const one = (value: unknown): unknown => {
    if (typeof value !== "string" || !value.startsWith("/")) return value;
    const normal = path.posix.normalize(value);
    for (const [virtual, real] of prefixes) {
      if (normal === virtual || normal.startsWith(`${virtual}/`)) return path.join(path.resolve(baseDir, real), normal.slice(virtual.length));
    }
    return value;
  };
  for (const key of sources) {
    if (typeof key !== "string" || !(key in out)) continue;
    const v = out[key];
    out[key] = Array.isArray(v) ? v.map(one) : one(v);
  }
  return out;
}

/**
 * The reverse, on an upstream's answer: real folders named in its text are shown as their virtual
 * prefixes again, so agents never learn host paths.
 */
export function unmapPathsInResult<T>(result: T, map: Record<string, string>, baseDir: string): T {
  const pairs = Object.entries(map)
    .map(([virtual, real]) => [path.resolve(baseDir, real), virtual] as const)
    .sort((a, b) => b[0].length - a[0].length);
  if (pairs.length === 0) return result;
  const text = JSON.stringify(result);
  let out = text;
  for (const [real, virtual] of pairs) out = out.split(JSON.stringify(real).slice(1, -1)).join(virtual);
  return out === text ? result : (JSON.parse(out) as T);
}
