import { realpathSync } from "node:fs";
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

/** Characters that end a path in prose, in JSON text (`"`, `\\` escapes) and in quotes. */
const END = `(?=$|[/\\s"'\\\\,;:)\\]}>])`;
const REST = `(?:/[^\\s"'\\\\,;:)\\]}>]*)?`;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** How `text` appears inside a JSON string. */
const inJson = (text: string) => JSON.stringify(text).slice(1, -1);

function realVariants(p: string): string[] {
  try {
    const real = realpathSync.native(p);
    return real === p ? [p] : [p, real];
  } catch {
    return [p];
  }
}

/** What to hide in an upstream's answers: real folders to show as virtual ones, other host paths. */
export interface HostPaths {
  /** Virtual prefix → real folder (relative to baseDir), as in path_map. */
  map: Record<string, string>;
  baseDir: string;
  /** Folders under which any path is hidden: the config's folder, a per-tenant jail's parent … */
  roots?: string[];
}

/** Placeholder for a host path that has no virtual name for this caller. */
export const HIDDEN_PATH = "<hidden path>";

/**
 * Rewrites a text so it names no host path: real folders of the map become their virtual
 * prefixes (longest first, whole path segments only: a jail /x/ab is not the start of /x/abc),
 * then any remaining path under a root (another tenant's jail, the gateway's folder) is hidden.
 * Folders are matched as configured and as resolved through symlinks.
 */
export function hostPathScrubber(h: HostPaths): (text: string) => string {
  const pairs = Object.entries(h.map)
    .flatMap(([virtual, real]) => realVariants(path.resolve(h.baseDir, real)).map((r) => [r, virtual] as const))
    .sort((a, b) => b[0].length - a[0].length)
    .map(([real, virtual]) => [new RegExp(escapeRe(inJson(real)) + END, "g"), virtual] as const);
  const roots = [...new Set((h.roots ?? []).flatMap((r) => realVariants(path.resolve(h.baseDir, r))))]
    .filter((r) => r !== path.parse(r).root)
    .sort((a, b) => b.length - a.length)
    .map((r) => new RegExp(escapeRe(inJson(r)) + END + REST, "g"));
  return (text) => {
    let out = text;
    for (const [re, virtual] of pairs) out = out.replace(re, virtual);
    for (const re of roots) out = out.replace(re, HIDDEN_PATH);
    return out;
  };
}

/**
 * The reverse of mapPaths, on an upstream's answer: real folders named in its text are shown as
 * their virtual prefixes again and other host paths are hidden, so agents never learn host paths.
 */
export function unmapPathsInResult<T>(result: T, scrub: (jsonText: string) => string): T {
  const text = JSON.stringify(result);
  const out = scrub(text);
  return out === text ? result : (JSON.parse(out) as T);
}
