import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POST as mcpRoute } from "@/app/api/mcp/route";
import { GET as listRoute, POST as createRoute } from "@/app/api/ops/targets/route";
import { DELETE as deleteRoute, GET as getRoute, PUT as putRoute } from "@/app/api/ops/targets/[id]/route";
import { POST as testRoute } from "@/app/api/ops/targets/[id]/test/route";
import { mintToken } from "@/lib/auth";
import { bootstrap } from "@/lib/bootstrap";
import { manualClock } from "@/lib/clock";
import { searchAuditRows } from "@/lib/db/audit-records";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { createUser, ensureMembership } from "@/lib/db/users";
import { upsertTenant } from "@/lib/db/tenants";
import { env, resetEnvForTests } from "@/lib/env";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { startTestSshd, type TestSshd } from "./backends/test-sshd";
import { secretEnvName } from "./secrets";

/**
 * Issue 16 through the real route handlers and services (Postgres, the sample policy, the audit
 * log, approvals): the ops tools wired into the gateway (/mcp), the targets API, and seed 002's
 * example — an agent restarts a service on an SSH target (a real loopback sshd): validated,
 * approved by two reviewers for production, executed once, audited; injection refused before any
 * backend; a production target outside its maintenance window denied.
 */
const WEDNESDAY_10 = new Date("2026-12-02T10:00:00Z");
const WEDNESDAY_14 = new Date("2026-12-02T14:00:00Z");
const clock = manualClock(WEDNESDAY_10);
let db: TestDb;
let dir: string;
let root: string;
let svc: Services;
let restore: () => Promise<void>;
let sshd: TestSshd;
let tenant: string;
const saved = { ...process.env };

beforeAll(async () => {
  sshd = await startTestSshd({ systemctl: 'echo "ok $1 $3"', docker: `case "$1" in ps) printf 'web-1\\nworker-1\\n';; *) echo "ok $1";; esac` });
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "ops-gw-"));
  root = path.join(dir, "files");
  mkdirSync(root);
  writeFileSync(path.join(root, "motd.txt"), "hello from the gateway host\n");
  Object.assign(process.env, { CANOPY_DATA_DIR: dir, LOG_LEVEL: "silent", OPS_ALLOW_LOOPBACK_TARGETS: "true", OPS_LOCAL_ROOTS: dir });
  resetEnvForTests();
  tenant = env().CANOPY_DEMO_TENANT;
  Object.assign(process.env, { OPS_GATEWAY_HOST_TENANTS: tenant, [secretEnvName(tenant, "WEB_KEY")]: sshd.clientKey });
  resetEnvForTests();
  svc = createTestServices(db, { clock });
  restore = installTestServices(svc);
  await bootstrap(svc);
  await upsertTenant(db.prisma, "other-tenant", "Other tenant");
  for (const [id, groups] of [["ann", ["sre"]], ["bo", ["sre"]], ["cy", []]] as const) {
    await createUser(db.prisma, { id, email: `${id}@example.com` });
    await ensureMembership(db.prisma, tenant, id, ["approver"], [...groups]);
  }
});

afterAll(async () => {
  await restore?.();
  await db?.drop();
  sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.env = saved;
  resetEnvForTests();
});

async function bearer(subject: string, roles: string[], t = tenant) {
  return (await mintToken({ tenant: t, subject, roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;
}

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;
async function http<P>(handler: Handler<P>, opts: { method?: string; token: string; body?: unknown; params?: P; query?: string }) {
  const req = new Request(`http://localhost/api/ops/targets${opts.query ?? ""}`, {
    method: opts.method ?? "GET",
    headers: { "content-type": "application/json", authorization: `Bearer ${opts.token}` },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const res = await handler(req, { params: Promise.resolve((opts.params ?? {}) as P) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked by the assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

let rpcId = 0;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON-RPC answers are checked by the assertions
async function mcp(token: string, method: string, params: Record<string, unknown>): Promise<Record<string, any>> {
  const req = new Request("http://localhost/api/mcp", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
  });
  const res = await mcpRoute(req, { params: Promise.resolve({}) });
  const body = await res.json();
  if (body.error) throw new Error(`rpc error: ${JSON.stringify(body.error)}`);
  return body.result;
}
const callTool = (token: string, name: string, args: Record<string, unknown>, approvalId?: string) =>
  mcp(token, "tools/call", { name, arguments: args, ...(approvalId ? { _meta: { approval_id: approvalId } } : {}) });

const sshTarget = (over: Record<string, unknown> = {}) => ({
  id: "prod-web-01",
  name: "production web over ssh",
  backend: "ssh",
  address: "127.0.0.1",
  port: sshd.port,
  role: "production",
  tags: ["web", "eu"],
  maintenance_windows: [{ days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "12:00", timezone: "UTC" }],
  credential_ref: "WEB_KEY",
  options: { username: sshd.user, host_keys: [sshd.hostKeyLine], binaries: { systemctl: sshd.bin.systemctl } },
  ...over,
});
const localTarget = (over: Record<string, unknown> = {}) => ({ id: "gw-files", name: "gateway files", backend: "local", role: "development", tags: ["gw"], options: { file_roots: [root] }, ...over });

describe("targets API (/api/ops/targets)", () => {
  test("an admin creates targets; the credential is a reference and no secret value ever comes back", async () => {
    const admin = await bearer("dana", ["admin"]);
    const created = await http(createRoute, { method: "POST", token: admin, body: sshTarget() });
    expect(created).toMatchObject({ status: 201, body: { id: "prod-web-01", backend: "ssh", role: "production", credential_ref: "WEB_KEY", tags: ["web", "eu"], maintenance_window_now: "inside", created_by: "dana" } });
    expect(JSON.stringify(created.body)).not.toContain(sshd.clientKey.split("\n")[1]);
    const local = await http(createRoute, { method: "POST", token: admin, body: localTarget() });
    expect(local.body).toMatchObject({ id: "gw-files" });
    expect((await http(createRoute, { method: "POST", token: admin, body: sshTarget() })).body).toMatchObject({ error: { code: "conflict" } });
  });

  test.each([
    ["a role outside the six", localTarget({ id: "x-1", role: "prod", options: {} }), "role"],
    ["a secret value as the credential", localTarget({ id: "x-2", credential_ref: "-----BEGIN OPENSSH PRIVATE KEY-----", options: {} }), "credential_ref"],
    ["an unknown field", localTarget({ id: "x-3", password: "hunter2", options: {} }), "password"],
    ["an id with a traversal", localTarget({ id: "../etc", options: {} }), "id"],
  ])("bad input (%s) is refused naming the field", async (_label, body, field) => {
    const r = await http(createRoute, { method: "POST", token: await bearer("dana", ["admin"]), body });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
  });

  test.each([
    ["viewer", ["viewer"], 200, 403],
    ["agent", ["agent"], 403, 403],
    ["approver", ["approver"], 200, 403],
    ["admin", ["admin"], 200, 201],
  ])("%s: read %s, manage %s", async (_label, roles, read, manage) => {
    const token = await bearer("someone", roles);
    expect((await http(listRoute, { token })).status).toBe(read);
    expect((await http(createRoute, { method: "POST", token, body: localTarget({ id: `rbac-${roles[0]}` }) })).status).toBe(manage);
  });

  test("another tenant sees none of them and cannot touch them (404)", async () => {
    const other = await bearer("eve", ["admin"], "other-tenant");
    expect((await http(listRoute, { token: other })).body.targets).toEqual([]);
    expect((await http(getRoute, { token: other, params: { id: "prod-web-01" } })).status).toBe(404);
    expect((await http(putRoute, { method: "PUT", token: other, params: { id: "prod-web-01" }, body: sshTarget({ id: undefined }) })).status).toBe(404);
    expect((await http(deleteRoute, { method: "DELETE", token: other, params: { id: "prod-web-01" } })).status).toBe(404);
    expect((await http(testRoute, { method: "POST", token: other, params: { id: "prod-web-01" } })).status).toBe(404);
    expect((await http(getRoute, { token: await bearer("dana", ["admin"]), params: { id: "prod-web-01" } })).status).toBe(200);
  });

  test("update replaces the target; a stale if_updated_at is refused (409); delete removes it", async () => {
    const admin = await bearer("dana", ["admin"]);
    const before = await http(createRoute, { method: "POST", token: admin, body: localTarget({ id: "tmp-1" }) });
    const { id: _id, ...rest } = localTarget({ id: "tmp-1", role: "staging" });
    const updated = await http(putRoute, { method: "PUT", token: admin, params: { id: "tmp-1" }, body: { ...rest, if_updated_at: before.body.updated_at } });
    expect(updated).toMatchObject({ status: 200, body: { id: "tmp-1", role: "staging", updated_by: "dana" } });
    const unknown = await http(putRoute, { method: "PUT", token: admin, params: { id: "tmp-1" }, body: { ...rest, pasword: "typo" } });
    expect(unknown).toMatchObject({ status: 400 });
    expect(JSON.stringify(unknown.body.error)).toContain("pasword");
    const stale = await http(putRoute, { method: "PUT", token: admin, params: { id: "tmp-1" }, body: { ...rest, if_updated_at: before.body.updated_at } });
    expect(stale.status).toBe(409);
    expect((await http(deleteRoute, { method: "DELETE", token: admin, params: { id: "tmp-1" } })).body).toEqual({ deleted: "tmp-1" });
    expect((await http(getRoute, { token: admin, params: { id: "tmp-1" } })).status).toBe(404);
    const changes = await searchAuditRows(db, tenant, { kind: ["admin_action"], q: "tmp-1" }, { limit: 10 });
    expect(changes.map((r) => r.reason)).toEqual(["ops target tmp-1 deleted",
      "ops target tmp-1 updated (local, staging): FAILED, nothing changed",
      "ops target tmp-1 updated (local, staging)",
      "ops target tmp-1 updated (local, staging)",
      "ops target tmp-1 created (local, development)",
    ]);
  });

  test("test connection: the ssh target answers with its pinned host key; a local target too", async () => {
    const admin = await bearer("dana", ["admin"]);
    const ssh = await http(testRoute, { method: "POST", token: admin, params: { id: "prod-web-01" } });
    expect(ssh).toMatchObject({ status: 200, body: { ok: true, backend: "ssh", target: "prod-web-01" } });
    expect((await http(testRoute, { method: "POST", token: admin, params: { id: "gw-files" } })).body).toMatchObject({ ok: true, backend: "local" });
  });
});

describe("ops tools through /mcp", () => {
  test("tools/list shows the ops tools to an agent (policy-filtered: every one the sample policy can allow)", async () => {
    const { tools } = await mcp(await bearer("agent-7", ["agent"]), "tools/list", {});
    const names = (tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["ops.service_restart", "ops.file_read", "ops.simulate", "ops.validate", "ops.allowed_operations", "ops.policy_status", "ops.test_backends"]));
    const restart = (tools as { name: string; inputSchema: { required?: string[] } }[]).find((t) => t.name === "ops.service_restart")!;
    expect(restart.inputSchema.required).toEqual(expect.arrayContaining(["target_id", "service_name"]));
  });

  test("a local file read on a development target runs, audited before with the inventory's facts and after with its outcome", async () => {
    const agent = await bearer("agent-7", ["agent"]);
    const r = await callTool(agent, "ops.file_read", { target_id: "gw-files", path: path.join(root, "motd.txt") });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: "succeeded", target_id: "gw-files", action: { backend: "local" } });
    expect(JSON.stringify(r.structuredContent)).toContain("hello from the gateway host");
    const trace = r._meta.canopyiq.trace_id as string;
    const rows = await searchAuditRows(db, tenant, { trace_id: trace }, { limit: 10 });
    const decision = rows.find((x) => x.kind === "tool_decision")!;
    expect(decision).toMatchObject({ decision: "allow", rule: "Non-production operations" });
    expect((decision.data as Record<string, unknown>)).toMatchObject({ facts: { ops: { target: { id: "gw-files", role: "development", backend: "local" } } } });
    await expect.poll(async () => (await searchAuditRows(db, tenant, { trace_id: trace, kind: ["tool_result"] }, { limit: 1 })).length).toBe(1);
    const [result] = await searchAuditRows(db, tenant, { trace_id: trace, kind: ["tool_result"] }, { limit: 1 });
    expect(result.upstream_outcome).toBe("succeeded");
    expect((result.data as Record<string, unknown>)).toMatchObject({ ops_outcome: { status: "succeeded", exit_code: 0, action: { backend: "local", operation: "file_read" } } });
    // The Targets page's "last actions".
    const list = await http(listRoute, { token: await bearer("vic", ["viewer"]) });
    const gw = (list.body.targets as { id: string; last_actions: { kind: string; outcome: string | null }[] }[]).find((t) => t.id === "gw-files")!;
    expect(gw.last_actions.map((a) => [a.kind, a.outcome])).toEqual([["tool_result", "succeeded"], ["tool_decision", null]]);
  });

  test("ops.simulate takes a caller's target_role only as a labelled what-if, and runs nothing", async () => {
    const before = sshd.calls().length;
    const r = await callTool(await bearer("agent-7", ["agent"]), "ops.simulate", { operation: "service_restart", target_id: "prod-web-01", parameters: { service_name: "nginx" }, target_role: "development" });
    expect(r.structuredContent).toMatchObject({ decision: { decision: "allow", rule: "Non-production operations" }, what_if: { target_role: "development", inventory_role: "production" }, executed: false });
    expect(r.structuredContent.action.summary).toContain("systemctl");
    expect(sshd.calls().length).toBe(before);
  });

  test.each([
    ["seed 002 Parameter Validation: ops.validate", "ops.validate", { operation: "service_restart", parameters: { service_name: "nginx", timeout: 60 } }, { valid: true, errors: [], parameters: { service_name: "nginx", timeout: 60 } }],
    ["ops.validate names the bad parameter", "ops.validate", { operation: "service_restart", parameters: { service_name: "nginx; id" } }, { valid: false, errors: [{ path: "service_name" }] }],
    ["seed 002 Policy Management: ops.allowed_operations for production", "ops.allowed_operations", { target_role: "production" }, { target_role: "production", what_if: true, approval_required: [{ operation: "service_restart", rule: "Production restarts need approval" }] }],
    ["seed 002 Policy Management: ops.policy_status", "ops.policy_status", {}, { policy: { active: true }, dry_run: { global: false }, emergency: { active: null, role: "emergency" }, catalog: { operations: 32 } }],
    ["seed 002 Troubleshooting: ops.test_backends", "ops.test_backends", { target_id: "prod-web-01" }, { ok: true, results: [{ ok: true, backend: "ssh", target: "prod-web-01" }] }],
  ])("%s through /mcp", async (_label, tool, args, expected) => {
    const r = await callTool(await bearer("agent-7", ["agent"]), tool, args);
    expect(r._meta.canopyiq).toMatchObject({ decision: "allow", rule: "Ops read-only tools" });
    expect(r.structuredContent).toMatchObject(expected);
  });

  test("dynamic allowlists: a container outside the target's live inventory is refused in the facts step; one inside runs", async () => {
    const admin = await bearer("dana", ["admin"]);
    const dev = sshTarget({ id: "dev-web-01", role: "development", maintenance_windows: [], options: { username: sshd.user, host_keys: [sshd.hostKeyLine], binaries: { systemctl: sshd.bin.systemctl, docker: sshd.bin.docker } } });
    expect((await http(createRoute, { method: "POST", token: admin, body: dev })).status).toBe(201);
    const agent = await bearer("agent-7", ["agent"]);
    const outside = await callTool(agent, "ops.container_restart", { target_id: "dev-web-01", container_name: "web-2" });
    expect(outside._meta.canopyiq).toMatchObject({ decision: "deny", error: { code: "not_in_inventory" } });
    expect(sshd.calls().filter((c) => c.includes("docker|restart|"))).toHaveLength(0);
    const inside = await callTool(agent, "ops.container_restart", { target_id: "dev-web-01", container_name: "worker-1" });
    expect(inside._meta.canopyiq).toMatchObject({ decision: "allow", rule: "Non-production operations" });
    expect(sshd.calls().filter((c) => /docker\|restart\|.*worker-1/.test(c))).toHaveLength(1);
    const [rec] = await searchAuditRows(db, tenant, { trace_id: inside._meta.canopyiq.trace_id, kind: ["tool_decision"] }, { limit: 1 });
    expect(rec.data).toMatchObject({ facts: { ops: { allowlist_sources: { container_name: "list_containers" } } } });
  });

  test("a caller-supplied target_role on an operation is refused: the role comes from the inventory", async () => {
    const r = await callTool(await bearer("agent-7", ["agent"]), "ops.service_restart", { target_id: "prod-web-01", service_name: "nginx", target_role: "development" });
    expect(r._meta.canopyiq).toMatchObject({ decision: "deny", error: { code: "invalid_parameters" } });
    expect(r.content[0].text).toContain("target_role");
  });
});

describe("seed 002: an agent restarts a service on an SSH target", () => {
  test("production: approval by two reviewers, executed exactly once, audited", async () => {
    const agent = await bearer("agent-7", ["agent"]);
    const args = { target_id: "prod-web-01", service_name: "nginx" };
    const first = await callTool(agent, "ops.service_restart", args);
    expect(first._meta.canopyiq).toMatchObject({ decision: "approval", rule: "Production restarts need approval", approval: { required_approvals: 2, approver_group: "sre" } });
    expect(sshd.calls().filter((c) => c.includes("systemctl|restart|"))).toHaveLength(0);
    const id = first._meta.canopyiq.approval.id as string;

    const approvals = await svc.approvals();
    const vote = (approver: string) => approvals.decide({ id, tenant, approver, decision: "approved", via: "inbox", requireSignature: false });
    await vote("ann");
    const early = await callTool(agent, "ops.service_restart", args, id);
    expect(early._meta.canopyiq.decision).toBe("approval");
    expect(sshd.calls().filter((c) => c.includes("systemctl|restart|"))).toHaveLength(0);
    await vote("bo");

    const ran = await callTool(agent, "ops.service_restart", args, id);
    expect(ran.isError).toBeFalsy();
    expect(ran._meta.canopyiq).toMatchObject({ decision: "allow", approval: { id } });
    expect(ran.structuredContent).toMatchObject({ status: "succeeded", exit_code: 0, action: { backend: "ssh", operation: "service_restart" } });
    expect(sshd.calls().filter((c) => c.includes("systemctl|restart|"))).toEqual([expect.stringMatching(/\|restart\|--\|nginx\|$/)]);

    const again = await callTool(agent, "ops.service_restart", args, id);
    expect(again._meta.canopyiq).toMatchObject({ decision: "deny", error: { code: "approval_already_executed" } });
    expect(sshd.calls().filter((c) => c.includes("systemctl|restart|"))).toHaveLength(1);

    const trace = ran._meta.canopyiq.trace_id as string;
    await expect.poll(async () => (await searchAuditRows(db, tenant, { trace_id: trace, kind: ["tool_result"] }, { limit: 1 })).length).toBe(1);
    const rows = await searchAuditRows(db, tenant, { trace_id: trace }, { limit: 10 });
    expect(rows.map((r) => [r.kind, r.decision, r.approval_id])).toEqual([
      ["tool_result", "allow", id],
      ["tool_decision", "allow", id],
    ]);
    const outcome = (rows[0].data as { ops_outcome: { steps: { stdout: string }[]; duration_ms: number } }).ops_outcome;
    expect(outcome).toMatchObject({ status: "succeeded", exit_code: 0, action: { backend: "ssh", target: { id: "prod-web-01" } } });
    expect(outcome.steps[0].stdout).toContain("ok restart");
    expect(outcome.duration_ms).toEqual(expect.any(Number));
  });

  test.each([
    ["command chaining", "ops.service_restart", { service_name: "nginx; rm -rf /" }, "service_name"],
    ["command substitution", "ops.service_restart", { service_name: "$(id)" }, "service_name"],
    ["path traversal", "ops.file_read", { path: "../../etc/passwd" }, "path"],
    ["an overlong name", "ops.service_restart", { service_name: "a".repeat(300) }, "service_name"],
    ["a fullwidth semicolon", "ops.service_restart", { service_name: "nginx；id" }, "service_name"],
    ["a wrong type", "ops.service_restart", { service_name: ["nginx"] }, "service_name"],
  ])("injection (%s) is refused before any backend is reached, and audited", async (_label, tool, params, field) => {
    const connections = sshd.connections();
    const calls = sshd.calls().length;
    const r = await callTool(await bearer("agent-7", ["agent"]), tool, { target_id: "prod-web-01", ...params });
    expect(r.isError).toBe(true);
    expect(r._meta.canopyiq).toMatchObject({ decision: "deny", error: { code: "invalid_parameters" } });
    expect(r.content[0].text).toContain(field);
    expect(sshd.connections()).toBe(connections);
    expect(sshd.calls().length).toBe(calls);
    const [rec] = await searchAuditRows(db, tenant, { trace_id: r._meta.canopyiq.trace_id }, { limit: 1 });
    expect(rec).toMatchObject({ decision: "deny" });
    expect((rec.data as Record<string, unknown>)).toMatchObject({ refused: "invalid_parameters" });
  });

  test("a production target outside its maintenance window is denied by the time rule; no approval is opened", async () => {
    clock.set(WEDNESDAY_14);
    try {
      const r = await callTool(await bearer("agent-7", ["agent"]), "ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
      expect(r._meta.canopyiq).toMatchObject({ decision: "deny", rule: "Production changes outside the target's maintenance windows" });
      expect(r._meta.canopyiq.approval).toBeUndefined();
      expect(sshd.calls().filter((c) => c.includes("systemctl|restart|"))).toHaveLength(1);
    } finally {
      clock.set(WEDNESDAY_10);
    }
  });
});
