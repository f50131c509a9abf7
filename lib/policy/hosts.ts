/**
 * Host facts: the hostname of a call, from a URL (`https://api.x.com/a`) or a bare host
 * (`api.x.com:8443`). Parsed with WHATWG URL so userinfo tricks (`http://good.com@evil.com`)
 * resolve to the host the request really goes to. Lower-cased, one trailing dot dropped.
 */

export class HostFactError extends Error {}

export function normalizeHostname(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

export function hostFromValue(value: unknown): string {
  if (typeof value !== "string") throw new HostFactError(`host/url must be a string, got ${value === null ? "null" : typeof value}`);
  const v = value.trim();
  if (v === "") throw new HostFactError("host/url is empty");
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
  } catch {
    throw new HostFactError(`cannot parse host from ${JSON.stringify(value)}`);
  }
  const host = normalizeHostname(url.hostname);
  if (host === "") throw new HostFactError(`no host in ${JSON.stringify(value)}`);
  return host;
}

export type HostTest = (host: string) => boolean;

/** Patterns: an exact host, `*.suffix` (subdomains of suffix, not suffix itself) or `*` (any). */
export function compileHostPatterns(patterns: readonly string[]): HostTest {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const raw of patterns) {
    const p = normalizeHostname(raw.trim());
    if (p === "*") any = true;
    else if (p.startsWith("*.")) suffixes.push(p.slice(1)); // keep the dot: ".example.com"
    else exact.add(p);
  }
  return (host) => {
    if (any || exact.has(host)) return true;
    for (const s of suffixes) if (host.length > s.length && host.endsWith(s)) return true;
    return false;
  };
}
