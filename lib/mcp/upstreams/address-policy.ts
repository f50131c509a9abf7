import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Which network addresses an admin-managed upstream may reach. Only globally routable unicast
 * addresses pass; every internal, special-purpose or embedded-internal form is refused unless the
 * operator's allowlist names it. Classification is ipaddr.js's (a kept library); this module adds
 * only what it leaves to the caller: unwrapping IPv4 embedded in IPv6 and the 2000::/3 rule.
 * Pure: no I/O, so the same verdict serves the save-time check and the connect-time lookup.
 */

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Readable names of ipaddr.js's ranges, for error messages. */
const RANGE_TEXT: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT (100.64.0.0/10)",
  private: "private (RFC 1918)",
  reserved: "reserved or documentation",
  benchmarking: "benchmarking",
  amt: "AMT relay",
  as112: "AS112",
  as112v6: "AS112",
  uniqueLocal: "unique-local (fc00::/7)",
  deprecatedSiteLocal: "site-local (fec0::/10)",
  discard: "discard-only (100::/64)",
  orchid2: "ORCHID",
  deprecatedOrchid: "ORCHID",
  droneRemoteIdProtocolEntityTags: "drone remote ID",
  segmentRouting: "segment routing (5f00::/16)",
  rfc6052: "local-use NAT64 (64:ff9b:1::/48)",
  notGlobal: "non-global IPv6 (outside 2000::/3)",
};

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR("64:ff9b::/96");
const V4_COMPATIBLE = ipaddr.IPv6.parseCIDR("::/96");

const v4FromParts = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/** The IPv4 addresses an IPv6 address carries, and in which form (mapped, NAT64, 6to4, Teredo …). */
function embeddedIPv4(a: ipaddr.IPv6): { form: string; inner: ipaddr.IPv4[]; routable: boolean } | null {
  const p = a.parts;
  switch (a.range()) {
    case "ipv4Mapped":
      // The kernel sends ::ffff:a.b.c.d to a.b.c.d over IPv4: it is that address.
      return { form: "IPv4-mapped", inner: [a.toIPv4Address()], routable: true };
    case "rfc6145":
      return { form: "IPv4-translated", inner: [v4FromParts(p[6], p[7])], routable: false };
    case "6to4":
      return { form: "6to4", inner: [v4FromParts(p[1], p[2])], routable: true };
    case "teredo":
      // Teredo carries the server's address and the client's (obfuscated by inverting its bits).
      return { form: "Teredo", inner: [v4FromParts(p[2], p[3]), v4FromParts(~p[6] & 0xffff, ~p[7] & 0xffff)], routable: true };
    default:
      break;
  }
  if (a.match(NAT64_WELL_KNOWN)) return { form: "NAT64", inner: [v4FromParts(p[6], p[7])], routable: true };
  // ::a.b.c.d (deprecated IPv4-compatible); :: and ::1 are classified by ipaddr.js itself.
  if (a.match(V4_COMPATIBLE) && (p[6] !== 0 || p[7] > 1)) return { form: "IPv4-compatible", inner: [v4FromParts(p[6], p[7])], routable: false };
  return null;
}

export interface AddressClass {
  /** The address as given (brackets and zone id removed). */
  address: string;
  /** Globally routable unicast: may be reached without an allowlist entry. */
  global: boolean;
  /** What it is, for messages: "loopback", "IPv4-mapped loopback (127.0.0.1)". */
  description: string;
  /** Every address it stands for (itself, plus any embedded IPv4), for allowlist matching. */
  forms: Addr[];
}

function rangeOf(a: Addr): { global: boolean; name: string } {
  const range = a.range();
  if (a.kind() === "ipv6" && range === "unicast" && !(a as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) return { global: false, name: "notGlobal" };
  return { global: range === "unicast", name: range };
}

/**
 * Classifies one address in canonical text form (as DNS answers or a WHATWG URL give it).
 * Anything that is not an IP address is null: callers refuse it.
 */
export function classifyAddress(text: string): AddressClass | null {
  const bare = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIP(bare) === 0) return null;
  const a = ipaddr.parse(bare);
  if (a.kind() === "ipv6") {
    const embedded = embeddedIPv4(a as ipaddr.IPv6);
    if (embedded) {
      const inner = embedded.inner.map((v4) => ({ v4, ...rangeOf(v4) }));
      const bad = inner.find((i) => !i.global);
      const global = embedded.routable && !bad;
      const shown = bad ?? inner[inner.length - 1];
      const kind = bad ? RANGE_TEXT[bad.name] ?? bad.name : embedded.routable ? "public" : "non-routable";
      return { address: bare, global, description: `${embedded.form} ${kind} (${shown.v4.toString()})`, forms: [a, ...embedded.inner] };
    }
  }
  const { global, name } = rangeOf(a);
  return { address: bare, global, description: global ? "public" : (RANGE_TEXT[name] ?? name), forms: [a] };
}

// --- the operator's allowlist ------------------------------------------------------------------

export interface Allowlist {
  cidrs: [Addr, number][];
  /** Exact host names, lowercase without a trailing dot. */
  hosts: string[];
  /** `*.corp.example` entries, stored as `.corp.example`. */
  suffixes: string[];
}

const HOST = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Lowercase, no brackets, no trailing dot: the form host names are compared in. */
export const normalizeHost = (host: string) => host.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();

/**
 * Parses `UPSTREAM_PRIVATE_ALLOWLIST`: comma-separated addresses (10.0.0.7), CIDRs
 * (10.20.0.0/16, fd00:1::/64), host names (mcp.internal.example) and wildcard domains
 * (*.corp.example). Throws naming every entry it cannot read.
 */
export function parseAllowlist(raw: string | undefined): Allowlist {
  const out: Allowlist = { cidrs: [], hosts: [], suffixes: [] };
  const bad: string[] = [];
  for (const entry of (raw ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    const [addr, bits, extra] = entry.split("/");
    if (isIP(addr) !== 0) {
      const a = ipaddr.parse(addr);
      const max = a.kind() === "ipv4" ? 32 : 128;
      const n = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (extra !== undefined || !(n >= 0 && n <= max)) bad.push(entry);
      else out.cidrs.push([a, n]);
      continue;
    }
    const host = normalizeHost(entry);
    if (host.startsWith("*.") && HOST.test(host.slice(2))) out.suffixes.push(host.slice(1));
    // A name whose last label is a number is an address to a URL parser (0x7f.1 is 127.0.0.1).
    else if (HOST.test(host) && !/^(0x[0-9a-f]*|\d+)$/.test(host.slice(host.lastIndexOf(".") + 1))) out.hosts.push(host);
    else bad.push(entry);
  }
  if (bad.length > 0) {
    throw new Error(`cannot read ${bad.map((b) => JSON.stringify(b)).join(", ")}: expected addresses, CIDRs (10.0.0.0/8, fd00::/8), host names or *.domain entries, separated by commas`);
  }
  return out;
}

/** Names that mean this machine whatever DNS says (RFC 6761). */
export const isLocalName = (host: string) => {
  const h = normalizeHost(host);
  return h === "localhost" || h.endsWith(".localhost") || h === "localhost.localdomain";
};

export type Verdict = { ok: true } | { ok: false; description: string };

/** The rule for admin-managed upstreams: public addresses, plus what the operator allows. */
export class AddressPolicy {
  readonly allowlist: Allowlist;

  constructor(
    readonly opts: {
      /** UPSTREAM_ALLOW_PRIVATE_NETWORKS: every address is allowed. */
      allowPrivate: boolean;
      /** UPSTREAM_PRIVATE_ALLOWLIST, raw or parsed. */
      allowlist?: string | Allowlist;
    },
  ) {
    this.allowlist = typeof opts.allowlist === "object" ? opts.allowlist : parseAllowlist(opts.allowlist);
  }

  get allowsEverything() {
    return this.opts.allowPrivate;
  }

  /** The operator named this host: whatever it resolves to may be reached. */
  hostAllowed(host: string): boolean {
    if (this.opts.allowPrivate) return true;
    const h = normalizeHost(host);
    return this.allowlist.hosts.includes(h) || this.allowlist.suffixes.some((s) => h.endsWith(s));
  }

  /** May a connection for `host` go to `address`? */
  check(address: string, host?: string): Verdict {
    if (this.opts.allowPrivate || (host !== undefined && this.hostAllowed(host))) return { ok: true };
    const c = classifyAddress(address);
    if (!c) return { ok: false, description: "not an IP address" };
    if (c.global) return { ok: true };
    const listed = c.forms.some((f) => this.allowlist.cidrs.some(([net, bits]) => net.kind() === f.kind() && f.match(net, bits)));
    return listed ? { ok: true } : { ok: false, description: c.description };
  }
}
