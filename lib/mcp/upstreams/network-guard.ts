import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { badRequest } from "@/lib/errors";

/** Loopback, private, link-local, unspecified and multicast ranges (IPv4 and IPv6). */
export function isInternalAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) {
    const [a, b] = address.split(".").map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  if (v === 6) {
    const x = address.toLowerCase();
    if (x === "::" || x === "::1") return true;
    const mapped = x.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    if (mapped) return isInternalAddress(mapped[1]);
    return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(x);
  }
  return false;
}

/**
 * Upstreams managed through the API must not reach the gateway's own network (SSRF): the URL's
 * host may not be, or resolve to, an internal address unless the operator allows it. A host that
 * does not resolve is refused too (fail closed).
 */
export async function assertPublicUpstream(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const hint = "set UPSTREAM_ALLOW_PRIVATE_NETWORKS=true to allow internal upstreams, or configure it in upstreams.yaml";
  if (host === "localhost" || host.endsWith(".localhost")) throw badRequest(`upstream URL host ${host} is local; ${hint}`);
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then((r) => r.map((a) => a.address)).catch(() => null);
  if (!addresses || addresses.length === 0) throw badRequest(`upstream URL host ${host} does not resolve; nothing was changed`);
  const internal = addresses.find(isInternalAddress);
  if (internal) throw badRequest(`upstream URL host ${host} is an internal address (${internal}); ${hint}`);
}
