import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AppError } from "@/lib/errors";
import { AddressPolicy, classifyAddress, parseAllowlist } from "./address-policy";
import { assertPublicUpstream, BlockedAddressError, guardedFetch, type Resolver } from "./network-guard";

/** A resolver with fixed answers, so no test depends on the machine's DNS. */
const names: Record<string, string[]> = {
  "public.example": ["93.184.216.34"],
  "public6.example": ["2606:2800:220:1:248:1893:25c8:1946"],
  "internal.example": ["10.0.0.5"],
  "mixed.example": ["93.184.216.34", "127.0.0.1"],
  "v6loop.example": ["::1"],
  "mapped.example": ["::ffff:127.0.0.1"],
  "metadata.example": ["169.254.169.254"],
  "api.corp.example": ["10.20.0.4"],
};
const resolver: Resolver = async (host) => names[host] ?? [];

const strict = new AddressPolicy({ allowPrivate: false });

/** null: accepted; otherwise the refusal's message must match. */
const verdict = async (url: string, policy = strict) =>
  assertPublicUpstream(url, policy, resolver).then(
    () => null,
    (e: unknown) => {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).status).toBe(400);
      return (e as Error).message;
    },
  );

describe("save-time check of admin-managed upstream URLs (WHATWG URL spellings)", () => {
  test.each([
    // IPv4 loopback, however it is spelled (the URL parser normalizes all of these to 127.0.0.1)
    ["plain loopback", "http://127.0.0.1:9/mcp", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["decimal", "http://2130706433/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["octal", "http://0177.0.0.1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["octal, one number", "http://017700000001/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["hex, two parts", "http://0x7f.1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["hex, one number", "http://0x7f000001/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["hex, four parts", "http://0x7f.0x0.0x0.0x1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["short form", "http://127.1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["zero-padded", "http://127.000.000.001/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["trailing dot", "http://127.0.0.1./", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["full-width digits", "http://①②⑦.0.0.1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["ideographic dots", "http://127。0。0。1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["percent-encoded", "http://%31%32%37.0.0.1/", /127\.0\.0\.1 is a non-public address \(loopback\)/],
    ["other loopback", "http://127.255.0.9/", /loopback/],
    // names of this machine
    ["localhost", "http://localhost/", /names this machine/],
    ["localhost with a trailing dot", "http://localhost./", /names this machine/],
    ["LOCALHOST with a port", "http://LOCALHOST:8080/", /names this machine/],
    ["a .localhost subdomain", "http://api.localhost/", /names this machine/],
    // IPv6 loopback and IPv4 embedded in IPv6
    ["IPv6 loopback", "http://[::1]/", /is a non-public address \(loopback\)/],
    ["IPv6 loopback, long form", "http://[0:0:0:0:0:0:0:1]/", /is a non-public address \(loopback\)/],
    ["IPv4-mapped, dotted", "http://[::ffff:127.0.0.1]/", /IPv4-mapped loopback \(127\.0\.0\.1\)/],
    ["IPv4-mapped, hex", "http://[::ffff:7f00:1]/", /IPv4-mapped loopback \(127\.0\.0\.1\)/],
    ["IPv4-mapped, long form", "http://[0:0:0:0:0:ffff:127.0.0.1]/", /IPv4-mapped loopback/],
    ["IPv4-mapped private", "http://[::ffff:10.0.0.1]/", /IPv4-mapped private \(RFC 1918\) \(10\.0\.0\.1\)/],
    ["IPv4-mapped metadata service", "http://[::ffff:169.254.169.254]/", /IPv4-mapped link-local/],
    ["IPv4-compatible", "http://[::127.0.0.1]/", /IPv4-compatible loopback \(127\.0\.0\.1\)/],
    ["IPv4-compatible public (not routable either)", "http://[::8.8.8.8]/", /IPv4-compatible non-routable/],
    ["IPv4-translated", "http://[::ffff:0:7f00:1]/", /IPv4-translated loopback/],
    ["NAT64 of loopback", "http://[64:ff9b::7f00:1]/", /NAT64 loopback/],
    ["NAT64 of a private address", "http://[64:ff9b::a00:1]/", /NAT64 private/],
    ["local-use NAT64", "http://[64:ff9b:1::1]/", /local-use NAT64/],
    ["6to4 of loopback", "http://[2002:7f00:1::]/", /6to4 loopback/],
    ["6to4 of a private address", "http://[2002:c0a8:101::1]/", /6to4 private/],
    ["Teredo of loopback (client bits inverted)", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", /Teredo loopback \(127\.0\.0\.1\)/],
    // unspecified, private, link-local, CGNAT, multicast, broadcast, reserved, documentation
    ["IPv4 unspecified", "http://0.0.0.0/", /unspecified/],
    ["IPv4 unspecified as 0", "http://0/", /unspecified/],
    ["IPv6 unspecified", "http://[::]/", /unspecified/],
    ["10/8", "http://10.1.2.3/", /private/],
    ["172.16/12", "http://172.16.0.1/", /private/],
    ["172.16/12 top", "http://172.31.255.255/", /private/],
    ["192.168/16", "http://192.168.0.1/", /private/],
    ["cloud metadata", "http://169.254.169.254/latest/meta-data/", /link-local/],
    ["carrier-grade NAT", "http://100.64.0.1/", /carrier-grade NAT/],
    ["IPv4 multicast", "http://224.0.0.1/", /multicast/],
    ["broadcast", "http://255.255.255.255/", /broadcast/],
    ["TEST-NET-1", "http://192.0.2.1/", /reserved or documentation/],
    ["TEST-NET-2", "http://198.51.100.7/", /reserved or documentation/],
    ["TEST-NET-3", "http://203.0.113.9/", /reserved or documentation/],
    ["benchmarking", "http://198.18.0.1/", /reserved/],
    ["class E", "http://240.0.0.1/", /reserved/],
    ["unique-local fd00::/8", "http://[fd00::1]/", /unique-local/],
    ["unique-local fc00::/8", "http://[fc00::1]/", /unique-local/],
    ["IPv6 link-local", "http://[fe80::1]/", /link-local/],
    ["site-local", "http://[fec0::1]/", /site-local/],
    ["IPv6 multicast", "http://[ff02::1]/", /multicast/],
    ["IPv6 documentation", "http://[2001:db8::1]/", /reserved or documentation/],
    ["discard-only", "http://[100::1]/", /discard-only/],
    ["outside 2000::/3", "http://[4000::1]/", /non-global IPv6/],
    // zone ids are not valid in URLs
    ["zone id", "http://[fe80::1%25eth0]/", /not a valid URL/],
    ["zone id on loopback", "http://[::1%2511]/", /not a valid URL/],
    // host names: what they resolve to counts
    ["a name resolving to a private address", "http://internal.example/", /internal\.example resolves to a non-public address \(private \(RFC 1918\)\)/],
    ["a name with one public and one loopback address", "http://mixed.example/", /resolves to a non-public address \(loopback\)/],
    ["a name resolving to ::1", "http://v6loop.example/", /resolves to a non-public address \(loopback\)/],
    ["a name resolving to a mapped loopback", "http://mapped.example/", /resolves to a non-public address \(IPv4-mapped loopback \(127\.0\.0\.1\)\)/],
    ["a name resolving to the metadata service", "https://metadata.example/", /link-local/],
    ["a name that does not resolve", "http://nx.example/", /does not resolve/],
    // public: accepted
    ["public IPv4", "http://8.8.8.8/mcp", null],
    ["public IPv4 with a trailing dot", "http://1.1.1.1./", null],
    ["public IPv6", "http://[2606:4700:4700::1111]/", null],
    ["IPv4-mapped public", "http://[::ffff:8.8.8.8]/", null],
    ["6to4 of a public address", "http://[2002:808:808::1]/", null],
    ["NAT64 of a public address", "http://[64:ff9b::808:808]/", null],
    ["a public name", "https://public.example/mcp", null],
    ["a public name, upper case, trailing dot", "https://PUBLIC.EXAMPLE./mcp", null],
    ["a public IPv6 name", "https://public6.example/mcp", null],
  ])("%s: %s", async (_label, url, expected) => {
    const got = await verdict(url);
    if (expected === null) expect(got).toBeNull();
    else {
      expect(got).toMatch(expected);
      expect(got).toMatch(/Nothing was stored|nothing was stored/);
    }
  });

  test("the internal address a name resolves to is not shown (it would map the operator's network)", async () => {
    expect(await verdict("http://internal.example/")).not.toContain("10.0.0.5");
  });
});

describe("the operator's allowlist", () => {
  test.each([
    ["127.0.0.1/32", "http://127.0.0.1:9/", null],
    ["127.0.0.1/32", "http://[::ffff:127.0.0.1]:9/", null],
    ["127.0.0.1", "http://2130706433/", null],
    ["127.0.0.1/32", "http://127.0.0.2/", /loopback/],
    ["10.0.0.0/8", "http://internal.example/", null],
    ["10.0.0.0/8", "http://192.168.1.1/", /private/],
    ["internal.example", "http://internal.example/", null],
    ["internal.example", "http://INTERNAL.example./", null],
    ["internal.example", "http://mixed.example/", /loopback/],
    ["*.corp.example", "http://api.corp.example/", null],
    ["*.corp.example", "http://corp.example/", /does not resolve/],
    ["fd00::/8", "http://[fd12::1]/", null],
    ["fd00::/8", "http://[fc00::1]/", /unique-local/],
    [" 10.0.0.0/8 , internal.example ", "http://10.9.9.9/", null],
  ])("UPSTREAM_PRIVATE_ALLOWLIST=%s: %s", async (allowlist, url, expected) => {
    const got = await verdict(url, new AddressPolicy({ allowPrivate: false, allowlist }));
    if (expected === null) expect(got).toBeNull();
    else expect(got).toMatch(expected);
  });

  test("UPSTREAM_ALLOW_PRIVATE_NETWORKS=true allows every internal address", async () => {
    const open = new AddressPolicy({ allowPrivate: true });
    for (const url of ["http://127.0.0.1:9/", "http://[::ffff:7f00:1]/", "http://localhost/", "http://internal.example/"]) expect(await verdict(url, open)).toBeNull();
  });

  test.each([["10.0.0.0/33"], ["1.2.3.4/8/9"], ["not a host!"], ["0x7f.1"], ["::1/129"], ["10.0.0.0/abc"]])("refuses the entry %s", (entry) => {
    expect(() => parseAllowlist(`internal.example,${entry}`)).toThrow(/cannot read .*expected addresses, CIDRs/);
  });
});

describe("classifyAddress", () => {
  test.each([
    ["8.8.8.8", true],
    ["127.0.0.1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:8.8.8.8", true],
    ["[::1]", false],
    ["fe80::1%eth0", false],
    ["2001:4860:4860::8888", true],
  ])("%s is global: %s", (address, global) => {
    expect(classifyAddress(address)?.global).toBe(global);
  });
  test("not an address: null (callers refuse it)", () => {
    expect(classifyAddress("example.com")).toBeNull();
    expect(classifyAddress("0x7f.1")).toBeNull();
  });
});

describe("connect-time check (the guarded fetch every admin-managed upstream uses)", () => {
  let server: Server;
  let port: number;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === "/redirect") res.writeHead(302, { location: `http://127.0.0.1:${port}/inside` }).end();
      else res.writeHead(200, { "content-type": "text/plain" }).end("internal data");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const refusedBy = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).not.toBeNull();
    return (err!.cause ?? err) as Error;
  };

  test.each([
    ["an IP literal", (p: number) => `http://127.0.0.1:${p}/`],
    ["a mapped IP literal", (p: number) => `http://[::ffff:127.0.0.1]:${p}/`],
    ["a name that now resolves to loopback", (p: number) => `http://rebound.example:${p}/`],
    ["localhost", (p: number) => `http://localhost:${p}/`],
  ])("refuses %s before any byte is sent", async (_label, url) => {
    const before = requests;
    const g = guardedFetch(strict, async () => ["127.0.0.1"]);
    try {
      const cause = await refusedBy(g.fetch(url(port)));
      expect(cause).toBeInstanceOf(BlockedAddressError);
      expect(cause.message).toMatch(/refused to connect: .* is or resolves to a non-public address \((IPv4-mapped )?loopback/);
    } finally {
      await g.close();
    }
    expect(requests).toBe(before);
  });

  test("an allowlisted name reaches the server, but its redirect to a non-allowlisted address is refused", async () => {
    const g = guardedFetch(new AddressPolicy({ allowPrivate: false, allowlist: "allowed.example" }), async () => ["127.0.0.1"]);
    try {
      const ok = await g.fetch(`http://allowed.example:${port}/`);
      expect(await ok.text()).toBe("internal data");
      const before = requests;
      const cause = await refusedBy(g.fetch(`http://allowed.example:${port}/redirect`));
      expect(cause).toBeInstanceOf(BlockedAddressError);
      // The redirect itself was answered; the loopback target it named never was.
      expect(requests).toBe(before + 1);
    } finally {
      await g.close();
    }
  });
});
