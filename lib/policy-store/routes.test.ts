import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { POST as applyRoute } from "@/app/api/v1/policy/apply/route";
import { POST as diffRoute } from "@/app/api/v1/policy/diff/route";
import { POST as rollbackRoute } from "@/app/api/v1/policy/rollback/route";
import { GET as versionsRoute } from "@/app/api/v1/policy/versions/route";
import { mintToken } from "@/lib/auth";
import { activeVersionFor } from "@/lib/db/policy-versions";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { resetEnvForTests } from "@/lib/env";

/** The seeds' curl commands through the real route handlers (withAuth, multipart, zod, error envelope). */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const saved = { ...process.env };
const samples = readFileSync("policies/samples.yaml", "utf8");

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-policy-routes-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  for (const k of ["POLICY_REQUIRE_SIGNATURE", "POLICY_PUBLIC_KEY_B64", "POLICY_SIG_PATH"]) delete process.env[k];
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  for (const t of ["demo-tenant", "acme-prod", "globex-critical"]) await upsertTenant(db.prisma, t, t);
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

async function token(roles: string[], tenant = "demo-tenant") {
  return (await mintToken({ tenant, subject: "pat", roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;
}

type Handler = (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;

/** `curl -F k=v -F file=@x` as a Request: string values are fields, `{file}` values are file parts. */
function form(fields: Record<string, string | { file: string; name?: string }>) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v.file], { type: "application/x-yaml" }), v.name ?? "policy.yaml");
  }
  return f;
}

async function call(handler: Handler, url: string, bearer: string, body?: FormData | Record<string, unknown>, method = "POST") {
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await handler(new Request(`http://localhost${url}`, { method, headers, body: payload }), { params: Promise.resolve({}) });
  return { status: res.status, json: await res.json() };
}

describe("policy lifecycle routes", () => {
  test("POST /api/v1/policy/apply with a multipart policy file (strategy all by default)", async () => {
    const author = await token(["policy_author"]);
    const r = await call(applyRoute, "/api/v1/policy/apply", author, form({ policy: { file: samples }, message: "samples" }));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ version: { id: 1, message: "samples", reused: false }, rollout: { strategy: "all" }, active_version: 1 });
  });

  test("seed 000 §6D: POST /v1/policy/diff -F proposed=@file → headline", async () => {
    const author = await token(["policy_author"]);
    const loosened = samples.replace("required_approvals: 2", "required_approvals: 1");
    const r = await call(diffRoute, "/api/v1/policy/diff", author, form({ proposed: { file: loosened } }));
    expect(r.status).toBe(200);
    expect(r.json.headline).toBe('1 rule changed: HIGH risk — rule "FS-write outside jail requires dual approval" no longer needs dual control (required_approvals 2 → 1)');
    expect(r.json).toMatchObject({ current_version: 1, defaults_changed: null, decision_changes: { replayed: 0, changed: 0 } });
    // JSON body and the replay limit in the query string work too
    const j = await call(diffRoute, "/api/v1/policy/diff?replay_limit=10", author, { proposed: loosened });
    expect(j.json.headline).toBe(r.json.headline);
    const bad = await call(diffRoute, "/api/v1/policy/diff", author, form({ proposed: { file: "version: 2\nrules: []\n" } }));
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "invalid_policy", details: { errors: [expect.objectContaining({ line: 1 })] } });
    expect((await call(diffRoute, "/api/v1/policy/diff", author, form({ replay_limit: "5" }))).status).toBe(400);
  });

  test("seed 001 Staged Rollout: -F strategy=canary_percent -F canary_percent=10", async () => {
    const author = await token(["policy_author"]);
    await call(applyRoute, "/api/v1/policy/apply", author, form({ policy: { file: samples.replace("name: canopyiq-samples", "name: v2") } }));
    const r = await call(applyRoute, "/api/v1/policy/apply", author, form({ strategy: "canary_percent", canary_percent: "10" }));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ version: { id: 2, reused: true }, rollout: { strategy: "canary_percent", canary_percent: 10 }, canary: { percent: 10, known_tenants: 3 } });
    const bad = await call(applyRoute, "/api/v1/policy/apply", author, form({ strategy: "canary_percent", canary_percent: "250" }));
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/canary_percent: canary_percent must be 1\.\.100/);
  });

  test("seed 001 Tenant Overrides: -F strategy=explicit -F tenants_csv=acme-prod,globex-critical", async () => {
    const author = await token(["policy_author"]);
    const r = await call(applyRoute, "/api/v1/policy/apply", author, form({ strategy: "explicit", tenants_csv: "acme-prod,globex-critical", version: "1" }));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ pinned: ["acme-prod", "globex-critical"], rollout: { strategy: "explicit", version: 1 } });
    expect((await activeVersionFor(db.prisma, "acme-prod"))?.id).toBe(1);
    const unknown = await call(applyRoute, "/api/v1/policy/apply", author, form({ strategy: "explicit", tenants_csv: "acme-prod,initech" }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/unknown tenant: initech/) });
  });

  test("GET /api/v1/policy/versions and POST /api/v1/policy/rollback", async () => {
    const viewer = await token(["viewer"]);
    const v = await call(versionsRoute, "/api/v1/policy/versions", viewer, undefined, "GET");
    expect(v.status).toBe(200);
    expect(v.json.versions.map((x: { id: number }) => x.id)).toEqual([2, 1]);
    // a viewer sees its own tenant's facts only; a platform admin (admin of demo-tenant) sees every tenant's
    expect(v.json.versions[1]).toMatchObject({ scope: "platform", tenant: null, pinned_tenants: [] });
    const admin = await call(versionsRoute, "/api/v1/policy/versions", await token(["admin"]), undefined, "GET");
    expect(admin.json.versions[1]).toMatchObject({ pinned_tenants: ["acme-prod", "globex-critical"] });
    expect((await call(versionsRoute, "/api/v1/policy/versions?limit=0", viewer, undefined, "GET")).status).toBe(400);

    const acme = await token(["policy_author"], "acme-prod");
    const rb = await call(rollbackRoute, "/api/v1/policy/rollback", acme, {});
    expect(rb.status).toBe(200);
    expect(rb.json).toMatchObject({ action: "unpin", unpinned: ["acme-prod"] });
    const named = await call(rollbackRoute, "/api/v1/policy/rollback", acme, form({ version: "1" }));
    // A tenant other than the platform tenant rolls back only itself (a pin), never the fleet.
    expect(named.json).toMatchObject({ action: "rollout", version: 1, rollout: { strategy: "explicit", tenants: ["acme-prod"] }, active_version: 1 });
  });

  test.each([
    ["a viewer cannot apply", applyRoute, ["viewer"], 403],
    ["an approver cannot roll back", rollbackRoute, ["approver"], 403],
    ["a policy author may diff (policies.write)", diffRoute, ["policy_author"], 200],
    ["an agent may not diff: it runs a caller-supplied policy", diffRoute, ["agent"], 403],
    ["an approver may not diff", diffRoute, ["approver"], 403],
    ["a viewer cannot diff", diffRoute, ["viewer"], 403],
  ] as const)("%s", async (_label, handler, roles, status) => {
    const r = await call(handler as Handler, "/api/v1/policy/x", await token([...roles]), form({ proposed: { file: samples } }));
    expect(r.status).toBe(status);
  });
});
