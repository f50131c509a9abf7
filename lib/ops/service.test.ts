import { describe, expect, test } from "vitest";
import { isAppError } from "@/lib/errors";
import type { Backend } from "./backends/types";
import { callMetaTool, opsToolDefinitions, type OpsPolicyCall } from "./index";
import { fakeBackend, memoryTargetStore, putTarget, testConfig, testOps } from "./testing";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const caller = { tenant: "acme", subject: "ops-agent", roles: ["agent"] };
const sshTarget = (id: string, role: string, extra: Record<string, unknown> = {}) => ({ id, name: id, backend: "ssh", address: "10.0.0.5", role, credential_ref: "WEB_KEY", options: { username: "deploy", host_keys: [KEY] }, ...extra });

async function world(over: Parameters<typeof testOps>[0] = {}) {
  const ssh = fakeBackend("ssh", { inventory: ["web-1", "db-1"] });
  const proxmox = fakeBackend("proxmox");
  const seen: OpsPolicyCall[] = [];
  const t = testOps({
    backends: { ssh, proxmox },
    policy: {
      decide: async (call) => {
        seen.push(call);
        return call.targetRole === "production" ? { decision: "approval", rule: "prod", reason: "production needs approval" } : { decision: "allow", rule: "rest", reason: "ok" };
      },
      status: async () => ({ version: "v7", hash: "abc", signed: true }),
    },
    ...over,
  });
  await putTarget(t.targets, "acme", sshTarget("prod-web-01", "production", { tags: ["web"], maintenance_windows: [{ days: [6], start: "02:00", end: "04:00" }] }));
  await putTarget(t.targets, "acme", sshTarget("dev-web-01", "development"));
  await putTarget(t.targets, "globex", sshTarget("globex-web", "development"));
  return { ...t, ssh, proxmox, seen };
}

const errOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as { status: number; code: string; message: string; details?: unknown });

describe("prepare builds the policy call from the inventory", () => {
  test("role, window state and validated arguments (defaults applied) are what the policy sees", async () => {
    const w = await world();
    const p = await w.ops.prepare(caller, "ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
    expect(p.policyCall).toMatchObject({
      tool: "ops.service_restart",
      arguments: { target_id: "prod-web-01", service_name: "nginx", timeout: 60, target: { id: "prod-web-01", role: "production", backend: "ssh", tags: ["web"], maintenance_window: "outside" } },
      tenant: "acme",
      subject: "ops-agent",
      roles: ["agent"],
      targetRole: "production",
      what_if: null,
      emergency: null,
      dry_run: false,
    });
    expect(p.timeoutMs).toBe(60_000);
    expect(w.ssh.ioCalls()).toBe(0);
  });

  test.each([
    ["a caller-supplied target role", { target_role: "development" }],
    ["a caller-supplied target fact", { target: { role: "development" } }],
  ])("%s is refused: roles come from the inventory only", async (_l, extra) => {
    const w = await world();
    const err = await errOf(w.ops.prepare(caller, "ops.service_restart", { target_id: "prod-web-01", service_name: "nginx", ...extra }));
    expect(err).toMatchObject({ status: 400, code: "invalid_parameters" });
    expect(err!.message).toMatch(/unknown parameter/);
  });

  test("another tenant's target does not exist for this caller", async () => {
    const w = await world();
    const err = await errOf(w.ops.prepare(caller, "ops.service_status", { target_id: "globex-web", service_name: "nginx" }));
    expect(err).toMatchObject({ status: 404 });
  });

  test("an operation the target's backend does not run is refused before any I/O", async () => {
    const w = await world();
    const err = await errOf(w.ops.prepare(caller, "ops.snapshot_create", { target_id: "dev-web-01", vmid: 101, snapshot_name: "s1" }));
    expect(err).toMatchObject({ status: 400, code: "unsupported_operation" });
    expect(err!.message).toMatch(/runs on proxmox/);
    expect(w.ssh.calls).toEqual([]);
  });

  test("an unreadable live inventory stops the call (fail closed)", async () => {
    const w = await world();
    w.ssh.inventory = async () => {
      throw new Error("docker: permission denied");
    };
    const err = await errOf(w.ops.run(caller, "ops.container_restart", { target_id: "dev-web-01", container_name: "web-1" }));
    expect(err).toMatchObject({ status: 503, code: "inventory_unavailable" });
    expect(w.ssh.calls.filter((c) => c.method === "execute")).toEqual([]);
  });

  test("an active break-glass grant adds the emergency role", async () => {
    const w = await world({ emergency: { active: async () => ({ id: "bg", reason: "INC-1", activated_by: "lead", expires_at: "2026-12-01T11:00:00Z", scope: "tenant" }) } });
    const p = await w.ops.prepare(caller, "ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
    expect(p.policyCall.roles).toEqual(["agent", "emergency"]);
    expect(p.policyCall.emergency).toMatchObject({ id: "bg", reason: "INC-1" });
  });
});

describe("run and execute", () => {
  test("approval stops before the backend; allow runs exactly once", async () => {
    const w = await world();
    const a = await w.ops.run(caller, "ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
    expect(a).toMatchObject({ status: "approval_required", outcome: null });
    const b = await w.ops.run(caller, "ops.service_restart", { target_id: "dev-web-01", service_name: "nginx" });
    expect(b).toMatchObject({ status: "executed", outcome: { status: "succeeded", operation: "service_restart", target_id: "dev-web-01" } });
    expect(w.ssh.calls.filter((c) => c.method === "execute")).toEqual([{ method: "execute", operation: "service_restart" }]);
  });

  test("a policy that throws denies (fail closed)", async () => {
    const w = await world({ policy: { decide: async () => Promise.reject(new Error("no active policy")) } });
    const r = await w.ops.run(caller, "ops.service_restart", { target_id: "dev-web-01", service_name: "nginx" });
    expect(r).toMatchObject({ status: "denied", decision: { decision: "deny", reason: "policy evaluation failed: no active policy; denied (fail closed)" } });
    expect(w.ssh.ioCalls()).toBe(0);
  });

  test("a target changed after the decision is not run on the old decision", async () => {
    const w = await world();
    const p = await w.ops.prepare(caller, "ops.service_restart", { target_id: "dev-web-01", service_name: "nginx" });
    await w.ops.targets.update("acme", "dev-web-01", sshTarget("dev-web-01", "production"), "mallory");
    const err = await errOf(w.ops.execute(p));
    expect(err).toMatchObject({ status: 409 });
    expect(err!.message).toMatch(/changed after this call was decided/);
    expect(w.ssh.calls.filter((c) => c.method === "execute")).toEqual([]);
  });

  test("a secret echoed by the backend is masked in the outcome", async () => {
    const echo: Backend = {
      ...fakeBackend("ssh"),
      async execute(ctx, _t, plan) {
        const s = await ctx.secret("WEB_KEY");
        return { status: "failed", exit_code: 1, duration_ms: 1, steps: [{ step: 0, exit_code: 1, stdout: `key was ${s}`, stderr: "", truncated: false, duration_ms: 1 }], error: `auth with ${s} failed`, action: plan.action };
      },
    };
    const w = await world({ backends: { ssh: echo }, secretsMap: { "acme/WEB_KEY": "very-secret-private-key-material" } });
    const r = await w.ops.run(caller, "ops.service_restart", { target_id: "dev-web-01", service_name: "nginx" });
    const text = JSON.stringify(r.outcome);
    expect(text).not.toContain("very-secret-private-key-material");
    expect(r.outcome!.steps[0].stdout).toMatch(/^key was \[redacted:secret:[0-9a-f]{12}\]$/);
  });
});

describe("meta tools", () => {
  test("simulate: decision, exact action and a labelled what-if; nothing runs", async () => {
    const w = await world();
    const s = await w.ops.simulate(caller, { operation: "service_restart", target_id: "prod-web-01", parameters: { service_name: "nginx" }, target_role: "development", at: "2026-12-05T03:00:00Z" });
    expect(s).toMatchObject({
      valid: true,
      decision: { decision: "allow" },
      what_if: { target_role: "development", inventory_role: "production" },
      facts: { target_role: "development", target: { maintenance_window: "inside" } },
      action: { operation: "service_restart", steps: [{ kind: "exec" }] },
      executed: false,
    });
    expect(w.seen.at(-1)).toMatchObject({ targetRole: "development", now: new Date("2026-12-05T03:00:00Z"), arguments: { target: { role: "development" } } });
    expect(w.ssh.calls.filter((c) => c.method === "execute")).toEqual([]);
    const real = await w.ops.simulate(caller, { operation: "service_restart", target_id: "prod-web-01", parameters: { service_name: "nginx" } });
    expect(real).toMatchObject({ decision: { decision: "approval" } });
    expect(real).not.toHaveProperty("what_if");
  });

  test("validate: parameters alone, or against a target's backend", async () => {
    const w = await world();
    expect(await w.ops.validate(caller, { operation: "service_restart", parameters: { service_name: "nginx" } })).toEqual({ valid: true, operation: "service_restart", errors: [], parameters: { service_name: "nginx", timeout: 60 }, timeout_ms: 60_000 });
    expect(await w.ops.validate(caller, { operation: "service_restart", parameters: { service_name: "nginx; id" } })).toMatchObject({ valid: false });
    expect(await w.ops.validate(caller, { operation: "backup_list", parameters: { storage: "local" }, target_id: "dev-web-01" })).toMatchObject({ valid: false, errors: [{ message: "backup_list does not run on ssh targets" }] });
    expect(await w.ops.validate(caller, { operation: "rm_rf", parameters: {} })).toMatchObject({ valid: false, errors: [{ path: "operation" }] });
    expect(w.ssh.ioCalls()).toBe(0);
  });

  test("allowed_operations per target lists only what its backend runs", async () => {
    const w = await world();
    const a = await w.ops.allowedOperations(caller, { target_id: "dev-web-01" });
    expect(a.target_role).toBe("development");
    expect(a.allowed_operations).toContain("service_restart");
    expect(a.allowed_operations).not.toContain("snapshot_create");
    const p = await w.ops.allowedOperations(caller, { target_role: "production" });
    expect(p.allowed_operations).toEqual([]);
    expect(p.approval_required).toHaveLength(32);
    await expect(w.ops.allowedOperations(caller, {})).rejects.toThrow(/either target_id or target_role/);
  });

  test("policy_status and test_backends", async () => {
    const w = await world({ config: testConfig({ dryRun: true }) });
    expect(await w.ops.policyStatus(caller)).toMatchObject({ policy: { version: "v7", signed: true }, dry_run: { global: true }, emergency: { active: null, role: "emergency" }, catalog: { operations: 32 }, targets: 2 });
    const all = await w.ops.testBackends(caller, {});
    expect(all).toMatchObject({ ok: true, results: [{ target: "dev-web-01" }, { target: "prod-web-01" }] });
    const one = await w.ops.testBackends(caller, { target_id: "prod-web-01" });
    expect(one.results.map((r) => r.target)).toEqual(["prod-web-01"]);
  });

  test("tool definitions: one per operation plus the five meta tools", async () => {
    const defs = opsToolDefinitions();
    expect(defs).toHaveLength(37);
    const restart = defs.find((d) => d.name === "ops.service_restart")!;
    expect(restart).toMatchObject({ kind: "operation", readOnly: false, operation: "service_restart", backends: ["local", "ssh"] });
    expect(restart.inputSchema).toMatchObject({ type: "object", required: expect.arrayContaining(["target_id", "service_name"]), additionalProperties: false });
    expect((restart.inputSchema.properties as Record<string, { pattern?: string }>).service_name.pattern).toBe("^[a-zA-Z0-9][a-zA-Z0-9_.@:-]*$");
    expect(defs.find((d) => d.name === "ops.service_status")!.readOnly).toBe(true);
    expect(defs.filter((d) => d.kind === "meta").map((d) => d.name)).toEqual(["ops.simulate", "ops.validate", "ops.allowed_operations", "ops.policy_status", "ops.test_backends"]);
    const w = await world();
    expect(await callMetaTool(w.ops, caller, "ops.validate", { operation: "package_list" })).toMatchObject({ valid: true });
    await expect(callMetaTool(w.ops, caller, "ops.policy_status", { verbose: true })).rejects.toThrow();
  });
});

describe("the targets inventory API", () => {
  test("create, read, list, update with a version check, delete; every call scoped to the tenant", async () => {
    const t = testOps({ targets: memoryTargetStore(), config: testConfig({ maxTargetsPerTenant: 2 }) });
    const created = await t.ops.targets.create("acme", sshTarget("web-a", "staging"), "alice");
    expect(created).toMatchObject({ id: "web-a", role: "staging", credential_ref: "WEB_KEY", created_by: "alice", maintenance_window_now: "none" });
    expect(await errOf(t.ops.targets.create("acme", sshTarget("web-a", "staging"), "alice"))).toMatchObject({ status: 409 });
    await t.ops.targets.create("acme", sshTarget("web-b", "testing"), "alice");
    expect(await errOf(t.ops.targets.create("acme", sshTarget("web-c", "testing"), "alice"))).toMatchObject({ status: 409, code: "too_many_targets" });
    expect((await t.ops.targets.list("acme")).targets.map((x) => x.id)).toEqual(["web-a", "web-b"]);
    expect((await t.ops.targets.list("globex")).targets).toEqual([]);
    expect(await errOf(t.ops.targets.get("globex", "web-a"))).toMatchObject({ status: 404 });
    expect(await errOf(t.ops.targets.update("acme", "web-a", sshTarget("web-z", "staging"), "bob"))).toMatchObject({ status: 400 });
    const stale = new Date(created.updated_at);
    await t.ops.targets.update("acme", "web-a", sshTarget("web-a", "production"), "bob", stale);
    expect(await errOf(t.ops.targets.update("acme", "web-a", sshTarget("web-a", "testing"), "carol", stale))).toMatchObject({ status: 409 });
    expect((await t.ops.targets.get("acme", "web-a")).role).toBe("production");
    expect(await errOf(t.ops.targets.remove("globex", "web-a", "x"))).toMatchObject({ status: 404 });
    expect(await t.ops.targets.remove("acme", "web-a", "bob")).toEqual({ deleted: "web-a" });
  });

  test("a row that no longer validates is listed as misconfigured, and refused when used", async () => {
    const t = testOps();
    const row = await putTarget(t.targets, "acme", sshTarget("odd", "staging"));
    (t.targets as ReturnType<typeof memoryTargetStore>).rows.set("acme\u0000odd", { ...row, role: "superuser" });
    expect((await t.ops.targets.list("acme")).targets[0]).toMatchObject({ id: "odd", misconfigured: expect.stringMatching(/misconfigured/) });
    const err = await errOf(t.ops.run(caller, "ops.service_status", { target_id: "odd", service_name: "nginx" }));
    expect(isAppError(err)).toBe(true);
  });
});
