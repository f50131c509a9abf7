import { generateKeyPairSync } from "node:crypto";
import { describe, expect, test } from "vitest";
import { platformTenant } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { createMetrics, metricsResponseFor } from "@/lib/metrics";
import { memoryKv } from "@/lib/redis";
import { createAuthenticator, SCRAPER } from "./authenticate";
import { can } from "./rbac";
import { TokenGuard } from "./token-guard";
import { mintToken } from "./tokens";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const keys = {
  privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  issuer: "canopyiq",
  audience: "canopyiq-api",
};
const SCRAPE = "s".repeat(24) + "0123456789abcdefghijklmnop";
const guard = new TokenGuard({ kv: memoryKv(), isRevoked: async () => false, tenantExists: async () => true });
const auth = createAuthenticator({
  tokenKeys: keys,
  tokenGuard: guard,
  db: async () => ({ prisma: { apiToken: { upsert: async () => ({}) } } }) as never,
  authOptions: () => ({ providers: [] }),
  scrapeToken: { token: SCRAPE, tenant: platformTenant() },
});

async function status(token: string): Promise<number | "accepted"> {
  try {
    await auth.principalFromBearer(token);
    return "accepted";
  } catch (e) {
    return (e as AppError).status;
  }
}

describe("METRICS_SCRAPE_TOKEN", () => {
  test("the exact token is the platform tenant's metrics scraper, which may read metrics and nothing else", async () => {
    const p = await auth.principalFromBearer(SCRAPE);
    expect(p).toEqual({ kind: "token", tenant: platformTenant(), subject: SCRAPER, roles: ["metrics_scraper"] });
    expect(can(p.roles, "metrics.read")).toBe(true);
    for (const other of ["audit.read", "mcp.call", "policies.read", "approvals.decide", "tenants.read", "tokens.manage"] as const) expect(can(p.roles, other)).toBe(false);
  });

  test.each([
    ["one character changed", SCRAPE.slice(0, -1) + "Q"],
    ["a prefix", SCRAPE.slice(0, 32)],
    ["a longer token", `${SCRAPE}x`],
    ["the empty string", ""],
  ])("%s is not the scrape token (it is then read as a JWT, and refused)", async (_label, token) => {
    expect(await status(token)).toBe(401);
  });

  test("signed tokens still authenticate as before beside it", async () => {
    const { token } = await mintToken({ tenant: "acme", subject: "alice", roles: ["viewer"], ttlSeconds: 600, now: Math.floor(Date.now() / 1000) }, keys);
    expect(await auth.principalFromBearer(token)).toMatchObject({ tenant: "acme", subject: "alice", roles: ["viewer"] });
  });

  test("the scraper sees every tenant's series; a viewer of another tenant only its own", async () => {
    const m = createMetrics();
    m.decisions.inc({ tenant: "acme", decision: "allow" });
    m.decisions.inc({ tenant: "globex", decision: "deny" });
    const scraped = await (await metricsResponseFor(m, await auth.principalFromBearer(SCRAPE))).text();
    expect(scraped).toMatch(/tenant="acme"/);
    expect(scraped).toMatch(/tenant="globex"/);
    const own = await (await metricsResponseFor(m, { kind: "token", tenant: "acme", subject: "v", roles: ["viewer"] })).text();
    expect(own).toMatch(/tenant="acme"/);
    expect(own).not.toMatch(/tenant="globex"/);
  });
});
