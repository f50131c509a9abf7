import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AuditInput } from "@/lib/audit/schemas";
import { makeAuditLog } from "@/lib/audit/testing";
import { activityAggregate, approvalActivity } from "./activity";
import { createTestDb, type TestDb } from "./testing";
import { upsertTenant } from "./tenants";

/**
 * The dashboard's time-bucket SQL on a real database: the hourly rollup kept by the insert trigger
 * and the direct query over the records must agree, bucket edges are [from, to), and nothing of
 * another tenant is ever counted.
 */

const T0 = Date.parse("2026-11-20T10:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
let db: TestDb;

type Rec = Omit<AuditInput, "tenant">;
const decision = (min: number, d: string, tool: string, rule: string | null, latencyMs?: number): Rec => ({ kind: "tool_decision", ts: at(min), decision: d, tool, rule, subject: "agent", ...(latencyMs === undefined ? {} : { latencyMs }) });
const result = (min: number, outcome: string | null, latencyMs = 10): Rec => ({ kind: "tool_result", ts: at(min), decision: "allow", tool: "fs.read", upstreamOutcome: outcome, latencyMs });

const ACME: Rec[] = [
  decision(0, "allow", "fs.read", "read-ok", 1),
  decision(5, "allow", "fs.read", "read-ok", 2),
  decision(5, "deny", "fs.write", "no-writes", 3),
  decision(59, "deny", "fs.write", "no-writes", 4),
  decision(60, "deny", "http.get", null, 5), // second hour; a denial no rule decided (a limit)
  decision(61, "approval", "fs.delete", "dual-control", 6),
  decision(125, "allow", "fs.read", "read-ok"), // third hour, no latency recorded
  result(1, "ok", 10),
  result(6, "tool_error", 20),
  result(62, "ECONNREFUSED", 30),
  result(63, null, 40), // no outcome recorded: not counted as an error
  { kind: "approval_vote", ts: at(7), decision: "approved", subject: "amy" },
  { kind: "login", ts: at(8), subject: "amy" },
];
// Another tenant, same times and tools: must never show in acme's figures.
const GLOBEX: Rec[] = [decision(0, "deny", "fs.read", "globex-rule", 1), decision(61, "allow", "fs.write", "x", 1), result(62, "tool_error")];

beforeAll(async () => {
  db = await createTestDb();
  const log = makeAuditLog(db);
  await upsertTenant(db.prisma, "acme", "acme");
  await upsertTenant(db.prisma, "globex", "globex");
  for (const r of ACME) await log.append({ tenant: "acme", ...r });
  for (const r of GLOBEX) await log.append({ tenant: "globex", ...r });
  log.close();
});
afterAll(async () => {
  await db?.drop();
});

const hours = (h: number) => h * 3600;

describe("activityAggregate", () => {
  test.each([
    ["hour buckets from the rollup", "rollup", at(0), at(180), hours(1), [
      { at: "2026-11-20T10:00:00.000Z", key: "allow", count: 2 },
      { at: "2026-11-20T10:00:00.000Z", key: "deny", count: 2 },
      { at: "2026-11-20T10:00:00.000Z", key: "error", count: 1 },
      { at: "2026-11-20T11:00:00.000Z", key: "approval", count: 1 },
      { at: "2026-11-20T11:00:00.000Z", key: "deny", count: 1 },
      { at: "2026-11-20T11:00:00.000Z", key: "error", count: 1 },
      { at: "2026-11-20T12:00:00.000Z", key: "allow", count: 1 },
    ]],
    ["the same hour buckets from the records", "records", at(0), at(180), hours(1), [
      { at: "2026-11-20T10:00:00.000Z", key: "allow", count: 2 },
      { at: "2026-11-20T10:00:00.000Z", key: "deny", count: 2 },
      { at: "2026-11-20T10:00:00.000Z", key: "error", count: 1 },
      { at: "2026-11-20T11:00:00.000Z", key: "approval", count: 1 },
      { at: "2026-11-20T11:00:00.000Z", key: "deny", count: 1 },
      { at: "2026-11-20T11:00:00.000Z", key: "error", count: 1 },
      { at: "2026-11-20T12:00:00.000Z", key: "allow", count: 1 },
    ]],
    ["6-hour buckets (epoch-aligned) from the rollup sum the hours", "rollup", at(0), at(360), hours(6), [
      { at: "2026-11-20T06:00:00.000Z", key: "allow", count: 2 },
      { at: "2026-11-20T06:00:00.000Z", key: "approval", count: 1 },
      { at: "2026-11-20T06:00:00.000Z", key: "deny", count: 3 },
      { at: "2026-11-20T06:00:00.000Z", key: "error", count: 2 },
      { at: "2026-11-20T12:00:00.000Z", key: "allow", count: 1 },
    ]],
    ["5-minute buckets from the records: [from, to) edges (minute 59 in, minute 60 out)", "records", at(5), at(60), 300, [
      { at: "2026-11-20T10:05:00.000Z", key: "allow", count: 1 },
      { at: "2026-11-20T10:05:00.000Z", key: "deny", count: 1 },
      { at: "2026-11-20T10:05:00.000Z", key: "error", count: 1 },
      { at: "2026-11-20T10:55:00.000Z", key: "deny", count: 1 },
    ]],
    ["an empty range from the rollup", "rollup", at(-600), at(-60), hours(1), []],
    ["an empty range from the records", "records", at(300), at(360), 60, []],
  ] as const)("%s", async (_label, source, from, to, bucketSeconds, series) => {
    const agg = await activityAggregate(db, "acme", { from, to, bucketSeconds, top: 10, source });
    expect(agg.series).toEqual(series);
    if (series.length === 0) expect(agg.totals).toEqual([]);
  });

  test.each([
    ["rollup", "rollup"],
    ["records", "records"],
  ] as const)("top tools, denials by tool and rule, latency histograms (%s)", async (_label, source) => {
    const agg = await activityAggregate(db, "acme", { from: at(0), to: at(180), bucketSeconds: 3600, top: 2, source });
    const of = (dim: string) => agg.totals.filter((t) => t.dim === dim).map(({ key, count }) => [key, count]);
    expect(of("tool")).toEqual([["fs.read", 3], ["fs.write", 2]]); // top 2 of 4 tools
    expect(of("deny_tool")).toEqual([["fs.write", 2], ["http.get", 1]]);
    expect(of("deny_rule")).toEqual([["no-writes", 2], ["", 1]]);
    // 10 % buckets: 1 ms → k=7, 2 → 11, 3 → 14, 4 → 16, 5 → 18, 6 → 20; results 10 → 25, 20 → 31, 30 → 36, 40 → 38.
    expect(of("lat_decision").map(([k]) => Number(k)).sort((a, b) => a - b)).toEqual([7, 11, 14, 16, 18, 20]);
    expect(of("lat_upstream").map(([k]) => Number(k)).sort((a, b) => a - b)).toEqual([25, 31, 36, 38]);
  });

  test.each([
    ["acme", { allow: 3, deny: 3, approval: 1, error: 2 }],
    ["globex", { allow: 1, deny: 1, error: 1 }],
    ["nobody", {}],
  ])("tenant isolation: %s counts only its own records", async (tenant, expected) => {
    for (const source of ["rollup", "records"] as const) {
      const agg = await activityAggregate(db, tenant, { from: at(0), to: at(360), bucketSeconds: hours(6), top: 10, source });
      const sums: Record<string, number> = {};
      for (const s of agg.series) sums[s.key] = (sums[s.key] ?? 0) + s.count;
      expect(sums).toEqual(expected);
    }
  });

  test("the rollup is refused a range that is not whole hours", async () => {
    await expect(activityAggregate(db, "acme", { from: at(5), to: at(65), bucketSeconds: 3600, top: 10, source: "rollup" })).rejects.toThrow(/whole hours/);
  });

  test("canopy_audit_activity_rebuild recomputes exactly what the trigger kept", async () => {
    const before = await db.sql.query(`SELECT dim, hour::text, key, count::text FROM audit_activity WHERE tenant_id = 'acme' ORDER BY 1, 2, 3`);
    expect(before.length).toBeGreaterThan(10);
    await db.sql.query(`SELECT canopy_audit_activity_rebuild('acme')`);
    const after = await db.sql.query(`SELECT dim, hour::text, key, count::text FROM audit_activity WHERE tenant_id = 'acme' ORDER BY 1, 2, 3`);
    expect(after).toEqual(before);
  });
});

describe("approvalActivity", () => {
  beforeAll(async () => {
    const row = (id: string, tenant: string, status: string, createdMin: number, resolvedMin: number | null, expiresMin = 600) => ({
      id, tenantId: tenant, subject: "agent", tool: "fs.delete", argsDigest: "0".repeat(64), args: {}, status,
      createdAt: at(createdMin), expiresAt: at(expiresMin), resolvedAt: resolvedMin === null ? null : at(resolvedMin),
    });
    await db.prisma.approval.createMany({
      data: [
        row("appr_1", "acme", "approved", 0, 1),
        row("appr_2", "acme", "rejected", 0, 3),
        row("appr_3", "acme", "executed", 10, 20),
        row("appr_4", "acme", "expired", 0, 600),
        row("appr_5", "acme", "pending", 30, null),
        row("appr_6", "acme", "pending", 30, null, 40), // past its expiry at minute 50: not pending any more
        row("appr_7", "globex", "pending", 30, null),
        row("appr_8", "globex", "approved", 0, 2),
      ],
    });
  });

  test.each([
    ["acme over the first hour", "acme", at(0), at(60), { pending: 1, resolved: { approved: 1, rejected: 1, executed: 1 }, p50_seconds: 180, p95_seconds: 558 }],
    ["acme over ten hours: the expiry counts as resolved, not in the percentiles", "acme", at(0), at(601), { pending: 1, resolved: { approved: 1, rejected: 1, executed: 1, expired: 1 }, p50_seconds: 180, p95_seconds: 558 }],
    ["acme before anything happened", "acme", at(-60), at(0), { pending: 1, resolved: {}, p50_seconds: null, p95_seconds: null }],
    ["globex sees only its own", "globex", at(0), at(60), { pending: 1, resolved: { approved: 1 }, p50_seconds: 120, p95_seconds: 120 }],
  ])("%s", async (_label, tenant, from, to, expected) => {
    expect(await approvalActivity(db, tenant, from, to, at(50))).toEqual(expected);
  });
});
