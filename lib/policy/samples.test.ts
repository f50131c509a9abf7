/** policies/samples.yaml decides every seed example as the seeds say. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadPolicy, simulate, type EvalContext } from "./index";

const text = readFileSync(join(__dirname, "../../policies/samples.yaml"), "utf8");
const loaded = loadPolicy(text);
const wed = new Date("2025-10-15T10:00:00Z");

describe("policies/samples.yaml", () => {
  test("is valid", () => expect(loaded.errors).toEqual([]));
  if (!loaded.ok) return;
  const cases: [string, { tool: string; arguments?: Record<string, unknown> }, Partial<EvalContext>, string, string | null][] = [
    ["seed 000 simulate: cloud.ops at $75", { tool: "cloud.ops", arguments: { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 } }, {}, "approval", "High-cost cloud operations need approval"],
    ["seed 000 estimator: cloud.estimate", { tool: "cloud.estimate", arguments: { provider: "aws", action: "ec2.run_instances", units: 10 } }, {}, "allow", "Cost estimates are free"],
    ["cheap cloud.ops (catalog $0.0005, stated $3)", { tool: "cloud.ops", arguments: { provider: "aws", action: "s3.put_object", units: 100, estimated_cost_usd: 3 } }, {}, "allow", "Low-cost cloud operations"],
    ["cloud.ops stating $0 for a $30 instance", { tool: "cloud.ops", arguments: { provider: "aws", action: "ec2.run_instances", estimated_cost_usd: 0 } }, {}, "approval", "High-cost cloud operations need approval"],
    ["cloud.ops with an action the catalog lacks (unknown cost counts as over)", { tool: "cloud.ops", arguments: { provider: "aws", action: "quantum.entangle" } }, {}, "approval", "High-cost cloud operations need approval"],
    ["seed 000 dual control: write /etc/hosts", { tool: "fs.write", arguments: { path: "/etc/hosts", content: "malicious" } }, {}, "approval", "FS-write outside jail requires dual approval"],
    ["write inside the jail", { tool: "fs.write", arguments: { path: "/sandbox/tmp/out.txt", content: "ok" } }, {}, "allow", "FS-write inside jail"],
    ["write via traversal", { tool: "fs.write", arguments: { path: "/sandbox/out/../../root/.ssh/authorized_keys" } }, {}, "approval", "FS-write outside jail requires dual approval"],
    ["move out of the jail", { tool: "fs.move", arguments: { source: "/sandbox/tmp/a", destination: "/home/a" } }, {}, "approval", "FS-write outside jail requires dual approval"],
    ["read /etc/shadow", { tool: "fs.read", arguments: { path: "/etc/shadow" } }, {}, "deny", "FS system paths are off limits"],
    ["read the sandbox", { tool: "fs.read", arguments: { path: "/sandbox/data/x.csv" } }, {}, "allow", "FS reads inside the sandbox"],
    ["read elsewhere", { tool: "fs.read", arguments: { path: "/home/alice/notes.txt" } }, {}, "approval", "FS reads elsewhere need approval"],
    ["seed 001: GET internal API", { tool: "net.http", arguments: { method: "GET", url: "https://api.internal.com/v1/users" } }, {}, "allow", "Internal API reads"],
    ["seed 001: POST internal API", { tool: "net.http", arguments: { method: "POST", url: "https://api.internal.com/v1/users", body: "{}" } }, {}, "approval", "Internal API writes need approval"],
    ["seed 001: blocked host", { tool: "net.http", arguments: { method: "GET", url: "https://external.badsite.com/" } }, {}, "deny", "Known bad hosts are blocked"],
    ["seed 001: other external host", { tool: "net.http", arguments: { method: "GET", url: "https://example.org/" } }, {}, "deny", "Other hosts are forbidden"],
    ["seed 001: body over 1 MiB", { tool: "net.http", arguments: { method: "POST", url: "https://api.internal.com/", body: "x".repeat(1048577) } }, {}, "deny", "HTTP bodies over 1 MiB are blocked"],
    ["seed 004: refund $120", { tool: "refunds.refund", arguments: { amount_cents: 12000, op: "refund" } }, {}, "allow", "Refunds up to $150"],
    ["seed 004: refund $200", { tool: "refunds.refund", arguments: { amount_cents: 20000, op: "refund" } }, {}, "approval", "Refunds over $150 need approval"],
    ["seed 004: payment link $300", { tool: "payment_links.create", arguments: { amount_cents: 30000, op: "payment_link_create" } }, {}, "approval", "Payment links over $250 need approval"],
    ["seed 004: payment link $200", { tool: "payment_links.create", arguments: { amount_cents: 20000 } }, {}, "allow", "Payment links up to $250"],
    ["seed 004: users.export", { tool: "users.export", arguments: {} }, {}, "deny", "User export forbidden"],
    ["seed 004: AegisMCP built-in guard_check", { tool: "aegis.guard_check", arguments: { tool: "refunds.refund", amount_cents: 12000, op: "refund" } }, {}, "allow", "AegisMCP built-in tools"],
    ["seed 002: restart nginx on production in hours", { tool: "ops.service_restart", arguments: { service_name: "nginx", timeout: 60 } }, { targetRole: "production" }, "approval", "Production restarts need approval"],
    ["seed 002: restart on production on Saturday", { tool: "ops.service_restart", arguments: { service_name: "nginx" } }, { targetRole: "production", now: new Date("2025-10-18T10:00:00Z") }, "deny", "Production restarts only in business hours"],
    ["seed 002: emergency restart", { tool: "ops.service_restart", arguments: { service_name: "nginx" } }, { targetRole: "production", roles: ["emergency"] }, "allow", "Break-glass operators"],
    ["seed 002: container_delete on development", { tool: "ops.container_delete", arguments: { container_name: "test-container", force: false } }, { targetRole: "development" }, "allow", "Non-production operations"],
    ["unknown tool is denied by default", { tool: "shell.exec", arguments: { cmd: "id" } }, {}, "deny", null],
  ];
  test.each(cases)("%s", (_l, call, ctx, decision, rule) => {
    const r = simulate({ policy: loaded.compiled, call, context: { now: wed, ...ctx } });
    expect(r.ok).toBe(true);
    expect(r.decision).toMatchObject({ decision, rule });
  });
  test("approval decisions carry approvers and a one-hour expiry", () => {
    const r = simulate({ policy: text, call: { tool: "fs.write", arguments: { path: "/etc/hosts" } }, context: { now: wed } });
    expect(r.decision).toMatchObject({ required_approvals: 2, approver_group: "secops", expires_in_seconds: 3600, expires_at: "2025-10-15T11:00:00.000Z" });
  });
});
