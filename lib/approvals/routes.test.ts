import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { POST as createRoute } from "@/app/api/approvals/create/route";
import { POST as slackRoute } from "@/app/api/approvals/slack/callback/route";
import { GET as getRbac, PUT as putRbac } from "@/app/api/admin/rbac/[tenant]/users/[user]/route";
import { POST as approveRoute } from "@/app/api/v1/approvals/[id]/approve/route";
import { GET as detailRoute } from "@/app/api/v1/approvals/[id]/route";
import { POST as verifyRoute } from "@/app/api/v1/approvals/[id]/verify/route";
import { GET as listRoute, POST as requestRoute } from "@/app/api/v1/approvals/route";
import { mintToken } from "@/lib/auth";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { resetEnvForTests } from "@/lib/env";
import { signDecision } from "./signature";
import { signSlackRequest } from "./slack";
import { FIXTURE_TENANT, seedApprovalFixtures } from "./testing";

/** The HTTP contract, through the real route handlers (withAuth, zod, error envelope) against a test database. */

const HMAC = "route-test-hmac-secret-0123456789";
const SLACK_SECRET = "route-test-slack-signing-secret";
let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDb();
  await seedApprovalFixtures(db.prisma);
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-routes-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, HMAC_SECRET: HMAC, SLACK_SIGNING_SECRET: SLACK_SECRET, LOG_LEVEL: "silent" });
  resetEnvForTests();
  // The route handlers run on services built on the test database and an in-process KV.
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
});

afterAll(async () => {
  await restoreServices?.();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function token(subject: string, roles: string[], tenant = FIXTURE_TENANT) {
  return (await mintToken({ tenant, subject, roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;
}

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;
async function call<P>(handler: Handler<P>, opts: { method?: string; url?: string; bearer?: string; body?: unknown; params?: P; headers?: Record<string, string>; raw?: string }) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(opts.headers ?? {}) };
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  const req = new Request(`http://localhost${opts.url ?? "/"}`, {
    method: opts.method ?? "POST",
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const res = await handler(req, { params: Promise.resolve((opts.params ?? {}) as P) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("approvals HTTP API (route handlers)", () => {
  const seedBody = {
    pending_id: "abc123",
    tenant: FIXTURE_TENANT,
    subject: "agent-42",
    tool: "fs.write",
    required_approvals: 2,
    args: { path: "/etc/hosts", content: "malicious" },
    summary: "Write to /etc/hosts by agent-42",
  };

  test("seed 000 §5A end to end: create, two signed approvals, verify; deny precedence on another", async () => {
    const admin = await token("dave", ["admin"]);
    const created = await call(createRoute, { bearer: admin, body: seedBody });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: "appr_abc123", pending_id: "abc123", status: "pending", required_approvals: 2, requested_by: "dave", subject: "agent-42" });
    expect((await call(createRoute, { bearer: admin, body: seedBody })).status).toBe(200);
    const id = created.body.id as string;
    const expiresAt = created.body.expires_at as string;

    const alice = await token("alice", ["approver"]);
    const unsigned = await call(approveRoute, { bearer: alice, params: { id }, body: { decision: "approved", approver: "alice" } });
    expect(unsigned).toMatchObject({ status: 403, body: { error: { code: "invalid_signature" } } });
    const onBehalf = await call(approveRoute, { bearer: alice, params: { id }, body: { decision: "approved", approver: "bob", signature: signDecision(HMAC, id, "approved", "bob", Date.parse(expiresAt)) } });
    expect(onBehalf).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });

    const aliceSig = signDecision(HMAC, id, "approved", "alice", Date.parse(expiresAt));
    const first = await call(approveRoute, { bearer: alice, params: { id }, body: { decision: "approved", approver: "alice", comment: "Reviewed", signature: aliceSig } });
    expect(first).toMatchObject({ status: 200, body: { id, status: "pending", decision: "approved", approver: "alice", comment: "Reviewed", signature: aliceSig, remaining_approvals: 1 } });

    const bob = await token("bob", ["approver"]);
    const bobSig = signDecision(HMAC, id, "approved", "bob", Date.parse(expiresAt));
    const second = await call(approveRoute, { bearer: bob, params: { id }, body: { decision: "approved", approver: "bob", signature: bobSig } });
    expect(second.body).toMatchObject({ status: "approved", remaining_approvals: 0 });

    expect((await call(verifyRoute, { bearer: bob, params: { id }, body: { signature: aliceSig } })).body).toEqual({
      valid: true,
      approval: { id, status: "approved", decision: "approved", approver: "alice", expires_at: expiresAt },
    });
    expect((await call(verifyRoute, { bearer: bob, params: { id }, body: { signature: "a3f7c2d1e5b8" } })).body).toEqual({ valid: false, error: "Invalid signature" });

    const detail = await call(detailRoute, { method: "GET", bearer: bob, params: { id } });
    expect(detail.body).toMatchObject({ id, status: "approved", approvals: 2, votes: [{ via: "api" }, { via: "api" }] });
  });

  test("seed 003 request, rejection, listing; tenants and permissions are enforced", async () => {
    const agent = await token("agent-7", ["agent"]);
    const req = await call(requestRoute, { bearer: agent, body: { agent: "knowledge_update", action: "apply", context: { file: "config/production.yaml", risk_score: 85 }, reason: "Large change", expires_in_seconds: 7200 } });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ status: "pending", agent: "knowledge_update", action: "apply", requested_by: "agent-7", context: { risk_score: 85 } });
    expect(Date.parse(req.body.expires_at) - Date.parse(req.body.requested_at)).toBeGreaterThan(7_190_000);
    const id = req.body.id as string;

    // An agent may request but not decide or read the inbox.
    expect((await call(approveRoute, { bearer: agent, params: { id }, body: { decision: "approved" } })).status).toBe(403);
    expect((await call(listRoute, { method: "GET", bearer: agent, url: "/api/v1/approvals" })).status).toBe(403);

    const carol = await token("carol", ["approver"]);
    const sig = signDecision(HMAC, id, "rejected", "carol", Date.parse(req.body.expires_at));
    expect((await call(approveRoute, { bearer: carol, params: { id }, body: { decision: "rejected", approver: "carol", comment: "Too risky", signature: sig } })).body).toMatchObject({ status: "rejected" });
    const again = await call(approveRoute, { bearer: carol, params: { id }, body: { decision: "rejected", approver: "carol", signature: sig } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "final" } } });

    const list = await call(listRoute, { method: "GET", bearer: carol, url: "/api/v1/approvals?status=rejected" });
    expect(list.status).toBe(200);
    expect(list.body.approvals.map((a: { id: string }) => a.id)).toContain(id);
    expect(list.body.approvals.every((a: { status: string }) => a.status === "rejected")).toBe(true);
    expect((await call(listRoute, { method: "GET", bearer: carol, url: "/api/v1/approvals?tenant=other-tenant" })).status).toBe(403);
    expect((await call(listRoute, { method: "GET", bearer: carol, url: "/api/v1/approvals?status=bogus" })).status).toBe(400);

    const outsider = await token("zed", ["admin", "approver"], "other-tenant");
    expect((await call(detailRoute, { method: "GET", bearer: outsider, params: { id } })).status).toBe(404);
    expect((await call(createRoute, { bearer: outsider, body: seedBody })).status).toBe(403);
    expect((await call(createRoute, { bearer: agent, body: { ...seedBody, required_approvals: 0 } })).status).toBe(400);
  });

  test("RBAC admin endpoint: seed 000 body works, creates the user, tenant admins only", async () => {
    const admin = await token("dave", ["admin"]);
    const put = await call(putRbac, { method: "PUT", bearer: admin, params: { tenant: FIXTURE_TENANT, user: "bob2" }, body: { roles: ["approver", "viewer"] } });
    expect(put).toMatchObject({ status: 200, body: { tenant: FIXTURE_TENANT, user: "bob2", roles: ["approver", "viewer"], groups: [], created: true } });
    const linked = await call(putRbac, { method: "PUT", bearer: admin, params: { tenant: FIXTURE_TENANT, user: "bob2" }, body: { roles: ["approver"], groups: ["secops"], slack_user_id: "UBOB2XYZ" } });
    expect(linked.body).toMatchObject({ roles: ["approver"], groups: ["secops"], slack_user_id: "UBOB2XYZ", created: false });
    expect((await call(getRbac, { method: "GET", bearer: admin, params: { tenant: FIXTURE_TENANT, user: "bob2" } })).body).toMatchObject({ roles: ["approver"], groups: ["secops"] });
    expect((await call(putRbac, { method: "PUT", bearer: admin, params: { tenant: FIXTURE_TENANT, user: "x" }, body: { roles: ["superuser"] } })).status).toBe(400);
    const approver = await token("alice", ["approver"]);
    expect((await call(putRbac, { method: "PUT", bearer: approver, params: { tenant: FIXTURE_TENANT, user: "alice" }, body: { roles: ["admin"] } })).status).toBe(403);
    expect((await call(putRbac, { method: "PUT", bearer: admin, params: { tenant: "other-tenant", user: "bob2" }, body: { roles: ["admin"] } })).status).toBe(403);
  });

  test("RBAC is per membership: another tenant's admin neither sees nor changes a user's identity or links elsewhere", async () => {
    // demo-tenant is the platform tenant here: its admin may set global identity.
    const platform = await token("dave", ["admin"]);
    const set = await call(putRbac, { method: "PUT", bearer: platform, params: { tenant: FIXTURE_TENANT, user: "alice" }, body: { roles: ["approver"], groups: ["secops"], slack_user_id: "UALICE01", email: "alice@corp.example" } });
    expect(set).toMatchObject({ status: 200, body: { email: "alice@corp.example", slack_user_id: "UALICE01" } });

    const otherAdmin = await token("olga", ["admin"], "other-tenant");
    // Adding alice to other-tenant with another Slack id: a membership of other-tenant only, no identity shown.
    const put = await call(putRbac, { method: "PUT", bearer: otherAdmin, params: { tenant: "other-tenant", user: "alice" }, body: { roles: ["approver"], groups: ["secops"], slack_user_id: "UEVIL0001" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ tenant: "other-tenant", user: "alice", slack_user_id: "UEVIL0001" });
    expect(put.body).not.toHaveProperty("email");
    expect(JSON.stringify(put.body)).not.toContain("alice@corp.example");
    // Identity fields are refused, naming who may change them.
    const identity = await call(putRbac, { method: "PUT", bearer: otherAdmin, params: { tenant: "other-tenant", user: "alice" }, body: { roles: ["approver"], email: "mallory@evil.example" } });
    expect(identity).toMatchObject({ status: 403, body: { error: { code: "identity_readonly" } } });
    expect((await call(getRbac, { method: "GET", bearer: otherAdmin, params: { tenant: "other-tenant", user: "alice" } })).body).not.toHaveProperty("email");
    // demo-tenant's view of alice is unchanged: same Slack link, same email.
    expect((await call(getRbac, { method: "GET", bearer: platform, params: { tenant: FIXTURE_TENANT, user: "alice" } })).body).toMatchObject({ slack_user_id: "UALICE01", email: "alice@corp.example" });
    // A user may set their own name.
    const self = await token("alice", ["admin"], "other-tenant");
    expect((await call(putRbac, { method: "PUT", bearer: self, params: { tenant: "other-tenant", user: "alice" }, body: { roles: ["approver", "admin"], name: "Alice" } })).body).toMatchObject({ name: "Alice" });
    // Unknown fields are refused rather than ignored.
    expect((await call(putRbac, { method: "PUT", bearer: otherAdmin, params: { tenant: "other-tenant", user: "alice" }, body: { roles: ["approver"], password: "x" } })).status).toBe(400);
  });

  test("Slack callback: bad signature → 401 envelope; an unlinked user → 200 ephemeral", async () => {
    const bad = await call(slackRoute, { raw: "payload=%7B%7D", headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)), "x-slack-signature": `v0=${"0".repeat(64)}` } });
    expect(bad).toMatchObject({ status: 401, body: { error: { code: "invalid_slack_signature" } } });
    const raw = `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", user: { id: "UNOBODY9" }, actions: [{ action_id: "approve", value: "appr_abc123" }] }))}`;
    const ok = await call(slackRoute, { raw, headers: { "content-type": "application/x-www-form-urlencoded", ...signSlackRequest(SLACK_SECRET, Math.floor(Date.now() / 1000), raw) } });
    expect(ok).toMatchObject({ status: 200, body: { response_type: "ephemeral", text: expect.stringContaining("not linked") } });
  });
});
