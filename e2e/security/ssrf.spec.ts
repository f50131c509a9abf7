import { expect, test } from "@playwright/test";
import { E2E_PROBE_PORT } from "../constants";
import { bearer, expectEnvelope, newTenant, probeCalls, token } from "./kit";

/**
 * Issue 9, item 3 (SSRF): a tenant admin may not point an upstream at the gateway's own network,
 * however the address is spelled. Each URL below names the probe upstream on loopback (or another
 * internal address); each PUT is a 400 in the error envelope, nothing is stored, and the probe
 * sees no call. (The connect-time check, for a name that resolves differently later — DNS
 * rebinding — is proven in lib/mcp/upstreams/rebinding.test.ts, where the resolver can lie.)
 */

const P = E2E_PROBE_PORT;
const REFUSED: [string, string][] = [
  ["IPv4-mapped IPv6, dotted", `http://[::ffff:127.0.0.1]:${P}/mcp`],
  ["IPv4-mapped IPv6, hex", `http://[::ffff:7f00:1]:${P}/mcp`],
  ["IPv4-mapped IPv6, long form", `http://[0:0:0:0:0:ffff:127.0.0.1]:${P}/mcp`],
  ["IPv4-compatible IPv6", `http://[::127.0.0.1]:${P}/mcp`],
  ["IPv4-translated IPv6", `http://[::ffff:0:7f00:1]:${P}/mcp`],
  ["NAT64 of loopback", `http://[64:ff9b::7f00:1]:${P}/mcp`],
  ["6to4 of loopback", `http://[2002:7f00:1::]:${P}/mcp`],
  ["loopback", `http://127.0.0.1:${P}/mcp`],
  ["decimal", `http://2130706433:${P}/mcp`],
  ["octal", `http://0177.0.0.1:${P}/mcp`],
  ["hex", `http://0x7f.1:${P}/mcp`],
  ["short", `http://127.1:${P}/mcp`],
  ["trailing dot", `http://127.0.0.1.:${P}/mcp`],
  ["localhost", `http://localhost:${P}/mcp`],
  ["localhost with a trailing dot", `http://localhost.:${P}/mcp`],
  ["IPv6 loopback", `http://[::1]:${P}/mcp`],
  ["unspecified", `http://0.0.0.0:${P}/mcp`],
  ["IPv6 unspecified", `http://[::]:${P}/mcp`],
  ["cloud metadata", "http://169.254.169.254/latest/meta-data/"],
  ["private", `http://10.0.0.1:${P}/mcp`],
  ["carrier-grade NAT", `http://100.64.0.1:${P}/mcp`],
  ["unique-local IPv6", `http://[fd00::1]:${P}/mcp`],
  ["link-local IPv6", `http://[fe80::1]:${P}/mcp`],
];

test.describe("SSRF: admin-managed upstream URLs", () => {
  test("every internal spelling of the probe's address is refused with 400; nothing stored; the probe sees nothing", async ({ request }) => {
    const tenant = await newTenant(request, "ssrf");
    const admin = bearer(token(tenant, "tenant-admin", "admin"));
    const before = await probeCalls(request);

    for (const [i, [label, url]] of REFUSED.entries()) {
      const res = await request.put(`/api/admin/upstreams/ssrf${i}`, { headers: admin, data: { transport: "http", url, tools: { echo: { aliases: [`ssrf${i}.echo`] } } } });
      const error = await expectEnvelope(res, 400, "bad_request");
      expect(error.message, label).toMatch(/(is|resolves to) a non-public address \(.+\)|names this machine/);
      expect(error.message, label).toMatch(/Nothing was stored/);
    }

    // A zone id is not a URL at all.
    await expectEnvelope(await request.put("/api/admin/upstreams/zoned", { headers: admin, data: { transport: "http", url: `http://[fe80::1%25eth0]:${P}/mcp` } }), 400, "validation_error");

    const listing = await request.get("/api/admin/upstreams", { headers: admin });
    expect(listing.status()).toBe(200);
    const stored = ((await listing.json()).upstreams as { source: string; tenant: string | null; name: string }[]).filter((u) => u.source === "db" && u.tenant === tenant);
    expect(stored).toEqual([]);

    // Nothing of those names exists for the tenant's agents, and the probe was never called.
    const agent = token(tenant, "agent-1", "agent");
    const list = await request.post("/mcp", {
      headers: { ...bearer(agent), "content-type": "application/json", accept: "application/json, text/event-stream" },
      data: { jsonrpc: "2.0", id: 1, method: "tools/list" },
    });
    const names = ((await list.json()).result?.tools ?? []).map((t: { name: string }) => t.name) as string[];
    expect(names.filter((n) => n.startsWith("ssrf"))).toEqual([]);
    expect((await probeCalls(request)).total).toBe(before.total);
  });

  test("a public URL is still accepted (the guard refuses internal addresses, not upstreams)", async ({ request }) => {
    const tenant = await newTenant(request, "ssrf");
    const admin = bearer(token(tenant, "tenant-admin", "admin"));
    const res = await request.put("/api/admin/upstreams/public", { headers: admin, data: { transport: "http", url: "https://8.8.8.8/mcp", enabled: false } });
    expect(res.status(), await res.text()).toBe(201);
    await request.delete("/api/admin/upstreams/public", { headers: admin });
  });
});
