/**
 * Which browser origins may call /mcp (MCP_ALLOWED_ORIGINS). Pure: parsed from the setting's text
 * and the public URL, so lib/env can validate it and both /mcp paths share one answer.
 */
export interface OriginAllowlist {
  any: boolean;
  self: boolean;
  loopback: boolean;
  exact: ReadonlySet<string>;
}

const WORDS = new Set(["*", "self", "loopback"]);

/** Throws with the offending entry when an entry is neither a word nor a bare http(s) origin. */
export function parseOriginAllowlist(text: string): OriginAllowlist {
  const entries = text.split(",").map((e) => e.trim()).filter(Boolean);
  const exact = new Set<string>();
  for (const e of entries) {
    if (WORDS.has(e)) continue;
    const origin = URL.canParse(e) ? new URL(e) : null;
    // An origin is scheme://host[:port] and nothing else: a path would never match the header.
    if (!origin || !["http:", "https:"].includes(origin.protocol) || origin.origin !== e.replace(/\/$/, "")) {
      throw new Error(`${e} is not an origin: expected scheme://host[:port] (e.g. https://agents.example.com), self, loopback or *`);
    }
    exact.add(origin.origin);
  }
  return { any: entries.includes("*"), self: entries.includes("self"), loopback: entries.includes("loopback"), exact };
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Whether a request's Origin header may reach /mcp. No header: a non-browser client (browsers send
 * Origin on every cross-origin POST), allowed. The request's own Host is deliberately not trusted:
 * under DNS rebinding the attacker's page and the Host header name the same attacker domain.
 */
export function originAllowed(origin: string | null | undefined, list: OriginAllowlist, publicUrl: string): boolean {
  if (origin === null || origin === undefined) return true;
  if (list.any) return true;
  // "null" (sandboxed frames, file: pages) and anything unparsable are never allowed.
  const u = URL.canParse(origin) ? new URL(origin) : null;
  if (!u || !["http:", "https:"].includes(u.protocol)) return false;
  if (list.exact.has(u.origin)) return true;
  if (list.self && URL.canParse(publicUrl) && new URL(publicUrl).origin === u.origin) return true;
  return list.loopback && isLoopbackHost(u.hostname);
}
