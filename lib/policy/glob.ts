/**
 * Tool-name patterns: exact names, or globs where `*` matches any run of characters (dots
 * included, as fnmatch in AegisMCP) and `?` one character. Compiled once to the cheapest test.
 * Tool names come from callers, so a glob never runs on a backtracking engine: `*a*a*a*b`
 * against a long made-up name would be polynomial there; on RE2 it is linear.
 */
import { RE2JS } from "re2js";

export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

export type NameTest = (name: string) => boolean;

export function compileGlob(pattern: string): NameTest {
  if (pattern === "*") return () => true;
  if (!isGlob(pattern)) return (name) => name === pattern;
  const star = pattern.indexOf("*");
  // `prefix*` is by far the common shape (`fs.*`, `refunds.*`): a startsWith beats a regex.
  if (star === pattern.length - 1 && !pattern.includes("?")) {
    const prefix = pattern.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  const re = RE2JS.compile(globToRe2(pattern), RE2JS.DOTALL);
  return (name) => re.testExact(name);
}

/** RE2 source of a glob, for a whole-name match (`testExact`) with DOTALL. */
export function globToRe2(pattern: string): string {
  let src = "";
  let literal = "";
  for (const ch of pattern) {
    if (ch !== "*" && ch !== "?") {
      literal += ch;
      continue;
    }
    if (literal) src += RE2JS.quote(literal);
    literal = "";
    src += ch === "*" ? ".*" : ".";
  }
  if (literal) src += RE2JS.quote(literal);
  return src;
}
