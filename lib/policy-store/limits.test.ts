import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { POST as applyRoute } from "@/app/api/v1/policy/apply/route";
import { POST as diffRoute } from "@/app/api/v1/policy/diff/route";
import { POST as simulateRoute } from "@/app/api/v1/policy/simulate/route";
import { POST as validateRoute } from "@/app/api/v1/policy/validate/route";
import { mintToken } from "@/lib/auth";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { resetEnvForTests } from "@/lib/env";
import { generatePolicy } from "./testing";

/** The policy routes' body limit (BODY_LIMIT_POLICY_BYTES, 4 MiB) fits a 1,000-rule policy and refuses more than 4 MiB. */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const saved = { ...process.env };
const big = generatePolicy(1000);

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-policy-limits-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  for (const k of ["POLICY_REQUIRE_SIGNATURE", "POLICY_PUBLIC_KEY_B64", "POLICY_SIG_PATH", "BODY_LIMIT_POLICY_BYTES"]) delete process.env[k];
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  await upsertTenant(db.prisma, "demo-tenant", "Demo");
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

type Handler = (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;

async function call(handler: Handler, url: string, body: BodyInit, headers: Record<string, string> = {}) {
  const { token } = await mintToken({ tenant: "demo-tenant", subject: "pat", roles: ["policy_author"], ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys);
  const res = await handler(new Request(`http://localhost${url}`, { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers }, body }), { params: Promise.resolve({}) });
  return { status: res.status, json: await res.json() };
}

function multipart(fields: Record<string, string>, file: string) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append("policy", new Blob([file], { type: "application/x-yaml" }), "policy.yaml");
  return f;
}

describe("policy routes and the body limit", () => {
  test("the generated policy has 1,000 rules and is far below 4 MiB", () => {
    expect(big.match(/^ {2}- name:/gm)).toHaveLength(1000);
    expect(Buffer.byteLength(big)).toBeLessThan(1024 * 1024);
  });

  test("a 1,000-rule policy validates (raw YAML)", async () => {
    const r = await call(validateRoute, "/api/v1/policy/validate", big, { "content-type": "text/yaml" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true });
  });

  test("a 1,000-rule policy applies (multipart, as seed 001's curl sends it), and diffs and simulates inline", async () => {
    const applied = await call(applyRoute, "/api/v1/policy/apply", multipart({ strategy: "all", message: "1000 rules" }, big));
    expect(applied.status).toBe(200);
    expect(applied.json).toMatchObject({ version: { message: "1000 rules" }, active_version: expect.any(Number) });
    const diff = await call(diffRoute, "/api/v1/policy/diff", JSON.stringify({ proposed: big.replace("team-0000: sandbox", "team-0000: sandboxes") }), { "content-type": "application/json" });
    expect(diff.status).toBe(200);
    const sim = await call(simulateRoute, "/api/v1/policy/simulate", JSON.stringify({ tool: "fs.read", arguments: { path: "/sandbox/team-0004/a" }, policy: big }), { "content-type": "application/json" });
    expect(sim.status).toBe(200);
    expect(sim.json.decision).toMatchObject({ decision: "allow", rule: "team-0004: sandbox reads" });
  });

  test.each([
    ["raw YAML", () => ({ body: `${big}${"# padding\n".repeat(450_000)}`, headers: { "content-type": "text/yaml" } })],
    ["multipart", () => ({ body: multipart({ strategy: "all" }, `${big}${"#".repeat(5 * 1024 * 1024)}`) as BodyInit, headers: {} })],
  ])("over 4 MiB (%s): 413 payload_too_large naming the limit and the setting", async (_label, make) => {
    const { body, headers } = make();
    const r = await call(applyRoute, "/api/v1/policy/apply", body, headers);
    expect(r.status).toBe(413);
    expect(r.json.error).toMatchObject({ code: "payload_too_large", message: expect.stringMatching(/the limit for policy requests .* is 4 MiB; send a smaller body; an operator can raise BODY_LIMIT_POLICY_BYTES/) });
  });
});
