import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { compilePolicy, type CompiledPolicy, migratePolicy, parsePolicy } from "@/lib/policy";
import { engineDecider, type EmergencyGrants } from "./index";
import { fakeBackend, putTarget, testOps } from "./testing";

/**
 * seed 002's two example policies, in TailOps form (config/policy-examples, migrated as
 * `canopy policy migrate --tool-prefix ops.` does) and in CanopyIQ's language
 * (policies/examples), decide real ops calls through createOps with the policy engine.
 */
const repo = path.join(__dirname, "../..");
const read = (p: string) => readFileSync(path.join(repo, p), "utf8");

function tailops(file: string): CompiledPolicy {
  const r = migratePolicy(read(file), { toolPrefix: "ops." });
  expect(r.errors).toEqual([]);
  expect(r.format).toBe("tailops-v2");
  // What the seed states is dynamic (allowlist_source) is noted, not silently lost.
  return compilePolicy(r.policy!, { version: file });
}

function canonical(file: string): CompiledPolicy {
  const r = parsePolicy(read(file));
  expect(r.errors).toEqual([]);
  return compilePolicy(r.policy!, { version: file });
}

const WEEKDAY = new Date("2026-12-02T10:00:00Z"); // a Wednesday
const SATURDAY = new Date("2026-12-05T10:00:00Z");
const caller = { tenant: "acme", subject: "ops-agent", roles: ["agent"] };

function world(policy: CompiledPolicy, at: Date, opts: { emergency?: boolean } = {}) {
  const ssh = fakeBackend("ssh", { inventory: ["web-1"] });
  const emergency: EmergencyGrants = { active: async () => (opts.emergency ? { id: "bg-1", reason: "outage INC-42", activated_by: "oncall", expires_at: "2026-12-05T11:00:00Z", scope: "tenant" } : null) };
  const t = testOps({ clock: () => at, backends: { ssh }, policy: { decide: engineDecider(() => policy) }, emergency });
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
  const target = (id: string, role: string, extra: Record<string, unknown> = {}) =>
    putTarget(t.targets, "acme", { id, name: id, backend: "ssh", address: "10.0.0.5", role, credential_ref: "K", options: { username: "deploy", host_keys: [key] }, ...extra });
  const ready = Promise.all([
    target("prod-web-01", "production"),
    target("stage-web-01", "staging"),
    target("dev-web-01", "development"),
    target("prod-db-01", "production", { maintenance_windows: [{ days: [7], start: "02:00", end: "04:00", timezone: "UTC" }] }),
  ]);
  const decide = async (tool: string, args: Record<string, unknown>) => {
    await ready;
    return t.ops.run(caller, tool, args);
  };
  return { ...t, ssh, decide };
}

const executions = (b: ReturnType<typeof fakeBackend>) => b.calls.filter((c) => c.method === "execute").length;

describe.each([
  ["TailOps", () => tailops("config/policy-examples/production-security-focused.yaml")],
  ["CanopyIQ", () => canonical("policies/examples/production-security-focused.yaml")],
])("production-security-focused (%s form)", (_form, load) => {
  const policy = load();

  test("a production restart in the change window needs approval, and nothing runs", async () => {
    const w = world(policy, WEEKDAY);
    const r = await w.decide("ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
    expect(r.status).toBe("approval_required");
    expect(r.decision.rule).toMatch(/production.*(service_changes|changes need approval)/);
    expect(executions(w.ssh)).toBe(0);
  });

  test("a production restart outside the change window is denied", async () => {
    const w = world(policy, SATURDAY);
    const r = await w.decide("ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
    expect(r.status).toBe("denied");
    expect(r.decision.reason).toMatch(/time window|08:00–18:00/);
    expect(executions(w.ssh)).toBe(0);
  });

  test("break-glass restores service on a Saturday, once", async () => {
    const w = world(policy, SATURDAY, { emergency: true });
    const r = await w.decide("ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" });
    expect(r.status).toBe("executed");
    expect(executions(w.ssh)).toBe(1);
  });

  test("destructive production operations are denied; staging restarts and status checks are allowed", async () => {
    const w = world(policy, WEEKDAY);
    expect((await w.decide("ops.container_delete", { target_id: "prod-web-01", container_name: "web-1" })).status).toBe("denied");
    expect((await w.decide("ops.service_restart", { target_id: "stage-web-01", service_name: "nginx" })).status).toBe("executed");
    expect((await w.decide("ops.service_status", { target_id: "prod-web-01", service_name: "nginx" })).status).toBe("executed");
    expect((await w.decide("ops.network_scan", { target_id: "dev-web-01", subnet: "10.0.0.0/24" })).status).toBe("denied");
  });

  test("allowed_operations for the production role", async () => {
    const w = world(policy, WEEKDAY);
    const a = await w.ops.allowedOperations(caller, { target_role: "production" });
    expect(a.allowed_operations).toEqual(expect.arrayContaining(["service_status", "snapshot_create", "backup_create"]));
    expect(a.approval_required.map((x) => x.operation)).toEqual(expect.arrayContaining(["service_restart", "container_restart", "package_update"]));
    expect(a.denied.map((x) => x.operation)).toEqual(expect.arrayContaining(["container_delete", "file_delete", "network_scan"]));
  });
});

describe("the target's own maintenance windows (CanopyIQ form)", () => {
  const policy = canonical("policies/examples/production-security-focused.yaml");
  test("a production target that declares windows refuses changes outside them, even in the change window", async () => {
    const w = world(policy, WEEKDAY);
    const r = await w.decide("ops.service_restart", { target_id: "prod-db-01", service_name: "postgresql" });
    expect(r).toMatchObject({ status: "denied", decision: { rule: "production changes outside the target's maintenance windows" } });
  });
});

describe.each([
  ["TailOps", () => tailops("config/policy-examples/development-flexible.yaml")],
  ["CanopyIQ", () => canonical("policies/examples/development-flexible.yaml")],
])("development-flexible (%s form)", (_form, load) => {
  const policy = load();

  test("a development restart is allowed and runs once", async () => {
    const w = world(policy, SATURDAY);
    const r = await w.decide("ops.service_restart", { target_id: "dev-web-01", service_name: "nginx" });
    expect(r.status).toBe("executed");
    expect(r.outcome!.status).toBe("succeeded");
    expect(executions(w.ssh)).toBe(1);
  });

  test("a production restart still needs approval; other production changes are denied", async () => {
    const w = world(policy, WEEKDAY);
    expect((await w.decide("ops.service_restart", { target_id: "prod-web-01", service_name: "nginx" })).status).toBe("approval_required");
    expect((await w.decide("ops.container_delete", { target_id: "prod-web-01", container_name: "web-1" })).status).toBe("denied");
    expect((await w.decide("ops.package_install", { target_id: "stage-web-01", packages: ["htop"] })).status).toBe("approval_required");
    expect(executions(w.ssh)).toBe(0);
  });
});
