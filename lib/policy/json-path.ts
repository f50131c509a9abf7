/**
 * Argument paths: `a.b[0].c`, optionally prefixed `$.`; quoted keys `["odd.key"]` are allowed.
 * Lookups use own properties only, so `__proto__` or `constructor` never reach a prototype.
 */

export type PathSegment = string | number;

export function parseArgPath(path: string): PathSegment[] | null {
  let s = path.trim();
  if (s === "$") return [];
  if (s.startsWith("$.")) s = s.slice(2);
  else if (s.startsWith("$[")) s = s.slice(1);
  const segs: PathSegment[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === "[") {
      const close = s.indexOf("]", i);
      if (close < 0) return null;
      const inner = s.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) segs.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) segs.push(JSON.parse(inner) as string);
      else return null;
      i = close + 1;
      if (s[i] === ".") i++;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== "." && s[j] !== "[") j++;
    const key = s.slice(i, j);
    if (key === "") return null;
    segs.push(key);
    i = j;
    if (s[i] === ".") {
      i++;
      if (i >= s.length) return null;
    }
  }
  return segs.length > 0 ? segs : null;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The value at `segs`, or undefined when any step is missing. */
export function getAt(root: unknown, segs: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of segs) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      if (typeof seg !== "number" || seg >= cur.length) return undefined;
      cur = cur[seg];
    } else {
      const key = String(seg);
      if (!hasOwn.call(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}
