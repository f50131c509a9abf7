import { lookup as dnsLookup } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { badRequest } from "@/lib/errors";
import { AddressPolicy, isLocalName, normalizeHost } from "./address-policy";

/**
 * Upstreams managed through the admin API must not reach the gateway's own network (SSRF). Two
 * checks, one rule (AddressPolicy):
 * - at save time, the URL's host and what it resolves to now (a clear 400, nothing stored);
 * - at connect time, on every address the connection is about to use, so a name that resolved to
 *   a public address when saved and to 127.0.0.1 later (DNS rebinding) still cannot reach loopback.
 */

export { AddressPolicy, classifyAddress, parseAllowlist, type Verdict } from "./address-policy";

/** Resolves a host name to every address it has (A and AAAA). */
export type Resolver = (host: string) => Promise<string[]>;

const DNS_TIMEOUT_MS = 5_000;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`DNS lookup of ${host} timed out`), { code: "ETIMEOUT" })), DNS_TIMEOUT_MS);
    timer.unref();
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(addresses.map((a) => a.address));
    });
  });

const HINT = "an operator can allow it with UPSTREAM_PRIVATE_ALLOWLIST (addresses, CIDRs or host names) or UPSTREAM_ALLOW_PRIVATE_NETWORKS=true, or configure the upstream in upstreams.yaml";

/** A connection the guard refused: names the host and the class of address, never more. */
export class BlockedAddressError extends Error {
  readonly code = "ECANOPY_BLOCKED_ADDRESS";
  constructor(
    readonly host: string,
    readonly description: string,
  ) {
    super(`refused to connect: ${host} is or resolves to a non-public address (${description}), which upstreams managed through the API may not reach`);
    this.name = "BlockedAddressError";
  }
}

/**
 * Save time: refuses a URL whose host is, or now resolves to, an address the policy refuses.
 * A host that does not resolve is refused too (fail closed). Throws a 400 naming the class.
 */
export async function assertPublicUpstream(url: string, policy: AddressPolicy, resolve: Resolver = systemResolver): Promise<void> {
  if (policy.allowsEverything) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`upstream URL ${url} is not a valid URL; nothing was stored`);
  }
  const host = normalizeHost(parsed.hostname);
  if (policy.hostAllowed(host)) return;
  const refuse = (what: string) => badRequest(`upstream URL host ${host} ${what}; upstreams managed through the API must be publicly routable: ${HINT}. Nothing was stored`);
  if (isLocalName(host)) throw refuse("names this machine (localhost)");
  if (isIP(host) !== 0) {
    const v = policy.check(host);
    if (!v.ok) throw refuse(`is a non-public address (${v.description})`);
    return;
  }
  const addresses = await resolve(host).catch(() => []);
  if (addresses.length === 0) throw badRequest(`upstream URL host ${host} does not resolve; nothing was stored`);
  for (const a of addresses) {
    const v = policy.check(a, host);
    // The host's internal address is not shown: it would map the operator's network for the caller.
    if (!v.ok) throw refuse(`resolves to a non-public address (${v.description})`);
  }
}

/**
 * Connect time, for node:net's `lookup` option: resolves with `resolve`, then refuses the
 * connection when any answer is an address the policy refuses (before a socket is opened).
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const family = typeof options.family === "number" ? options.family : options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : 0;
        for (const a of all) {
          const v = policy.check(a, hostname);
          if (!v.ok) return callback(new BlockedAddressError(hostname, v.description), "", 0);
        }
        const usable = all.filter((a) => family === 0 || isIP(a) === family);
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }), "", 0);
        if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, usable.map((address) => ({ address, family: isIP(address) })));
        callback(null, usable[0], isIP(usable[0]));
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, "", 0),
    );
  };
}

/**
 * An undici connector that applies the policy to every connection: IP literals directly (node
 * skips `lookup` for them), host names through guardedLookup. Redirects, retries and reconnects
 * of the dispatcher all pass through here.
 */
export function guardedConnector(policy: AddressPolicy, resolve: Resolver = systemResolver): buildConnector.connector {
  const base = buildConnector({ lookup: guardedLookup(policy, resolve) });
  return (opts, callback) => {
    const host = normalizeHost(opts.hostname);
    if (!policy.hostAllowed(host)) {
      if (isLocalName(host)) return callback(new BlockedAddressError(host, "loopback"), null);
      if (isIP(host) !== 0) {
        const v = policy.check(host);
        if (!v.ok) return callback(new BlockedAddressError(host, v.description), null);
      }
    }
    base(opts, callback);
  };
}

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A fetch whose every connection is checked by the policy; close() ends its pooled sockets. */
export function guardedFetch(policy: AddressPolicy, resolve: Resolver = systemResolver): { fetch: FetchLike; dispatcher: Agent; close: () => Promise<void> } {
  const agent = new Agent({ connect: guardedConnector(policy, resolve) });
  const fetch: FetchLike = (url, init) => undiciFetch(url, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  return { fetch, dispatcher: agent, close: () => agent.destroy().catch(() => {}) };
}
