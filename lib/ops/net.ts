/**
 * Where remote backends may connect. Targets name hosts of the tenant's infrastructure, usually
 * on private networks, so private ranges are allowed; what is never allowed is a link-local
 * address (169.254.169.254 is the cloud metadata service), the unspecified address, multicast
 * and broadcast. Loopback (the gateway's own Postgres, Redis, admin ports) only when the operator
 * allows it (OPS_ALLOW_LOOPBACK_TARGETS). The check runs on the addresses a connection actually
 * uses (a lookup hook or a pre-resolved address), so a name that later resolves elsewhere cannot
 * slip past it.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { AppError } from "@/lib/errors";

const NEVER = new Set(["unspecified", "broadcast", "multicast", "linkLocal", "reserved"]);

/** Why an address is refused, or null when a backend may connect to it. */
export function addressProblem(address: string, allowLoopback: boolean): string | null {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.parse(address);
  } catch {
    return `${address} is not an IP address`;
  }
  if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  const range = a.range();
  if (NEVER.has(range)) return `${address} is a ${range} address, which ops targets may never reach`;
  if (range === "loopback" && !allowLoopback) return `${address} is a loopback address (the gateway host itself); the operator can allow it with OPS_ALLOW_LOOPBACK_TARGETS=true`;
  return null;
}

export class BlockedTargetAddressError extends AppError {
  constructor(host: string, problem: string) {
    super(403, "target_address_refused", `refused to connect to ${host}: ${problem}`);
  }
}

const DNS_TIMEOUT_MS = 5000;

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new AppError(502, "target_unreachable", `DNS lookup of ${host} timed out`)), DNS_TIMEOUT_MS);
    timer.unref();
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
      clearTimeout(timer);
      if (err) reject(new AppError(502, "target_unreachable", `cannot resolve ${host}: ${err.code ?? err.message}`));
      else resolve(addresses);
    });
  });
}

/** The first address of `host` a backend may use; refuses when any address it resolves to is refused (fail closed). */
export async function resolveTargetAddress(host: string, allowLoopback: boolean): Promise<string> {
  return (await resolveAll(host, allowLoopback))[0].address;
}

/** A `lookup` for net/tls/undici connections that applies the same rule to every address it returns. */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return ((hostname: string, options: { all?: boolean } | number | undefined, callback: (...args: unknown[]) => void) => {
    const all = typeof options === "object" && options !== null && options.all === true;
    resolveAll(hostname, allowLoopback).then(
      (addresses) => (all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family)),
      (err) => callback(err),
    );
  }) as LookupFunction;
}

async function resolveAll(host: string, allowLoopback: boolean): Promise<LookupAddress[]> {
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(host);
  for (const a of addresses) {
    const problem = addressProblem(a.address, allowLoopback);
    if (problem) throw new BlockedTargetAddressError(host, problem);
  }
  if (addresses.length === 0) throw new AppError(502, "target_unreachable", `${host} resolves to no address`);
  return addresses;
}
