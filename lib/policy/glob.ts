/**
 * Tool-name patterns: exact names, or globs where `*` matches any run of characters (dots
 * included, as fnmatch in AegisMCP) and `?` one character. Compiled once to the cheapest test.
 */

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
  const re = globToRegExp(pattern);
  return (name) => re.test(name);
}

export function globToRegExp(pattern: string): RegExp {
  let src = "";
  for (const ch of pattern) {
    if (ch === "*") src += "[\\s\\S]*";
    else if (ch === "?") src += "[\\s\\S]";
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${src}$`);
}
