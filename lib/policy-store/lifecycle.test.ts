import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { type AuditLog, auditSearchQuerySchema, auditUnavailable } from "@/lib/audit";
import type { Principal } from "@/lib/auth";
import { activeVersionFor } from "@/lib/db/policy-versions";
import { canaryBucket, inCanary, resolveVersionId } from "@/lib/policy/rollout";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { resetEnvForTests } from "@/lib/env";
import { generateKeyPair, sign } from "@/lib/signing";
import { diffAgainstActive, diffPolicy } from "./diff";
import { applyPolicy, listPolicyVersions, rollbackPolicy } from "./lifecycle";
import { applyRequestSchema, diffRequestSchema, rollbackRequestSchema, versionsQuerySchema } from "./schemas";

/**
 * Apply / canary / pins / rollback / versions and the diff replay, against a fresh database (real
 * Postgres when DATABASE_URL is set, else in-memory PGlite) and the real audit log.
 */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const saved = { ...process.env };

const alice: Principal = { kind: "token", tenant: "demo", subject: "alice", roles: ["policy_author"] };
const acmeAdmin: Principal = { kind: "token", tenant: "acme-prod", subject: "ann", roles: ["admin"] };
const platformAdmin: Principal = { kind: "token", tenant: "demo", subject: "root", roles: ["admin"] };
const TENANTS = ["demo", "acme-prod", "globex-critical", ...Array.from({ length: 40 }, (_, i) => `fleet-${i}`)];

const samples = readFileSync("policies/samples.yaml", "utf8");
const policyN = (n: number, extra = "") => `version: 1\nname: p${n}\ndefaults: { decision: deny }\nrules:\n  - name: "reads ${n}"\n    match: "fs.read"\n    action: allow\n${extra}`;

const apply = (p: Principal, body: Record<string, unknown>) => applyPolicy(svc, p, applyRequestSchema.parse(body));
const rollback = (p: Principal, body: Record<string, unknown> = {}) => rollbackPolicy(svc, p, rollbackRequestSchema.parse(body));
async function versionOf(tenant: string) {
  const { prisma } = await db;
  return (await activeVersionFor(prisma, tenant))?.id ?? null;
}
async function counts() {
  const { prisma } = await db;
  return { versions: await prisma.policyVersion.count(), rollouts: await prisma.policyRollout.count(), pins: await prisma.tenantPolicyPin.count() };
}
async function policyChanges(tenant: string) {
  return (await svc.audit.search(tenant, auditSearchQuerySchema.parse({ kind: "policy_change", limit: 100 }))).records;
}
function setEnv(vars: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvForTests();
}

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-lifecycle-"));
  setEnv({ CANOPY_DATA_DIR: dataDir, CANOPY_PLATFORM_TENANT: "demo", LOG_LEVEL: "silent", POLICY_REQUIRE_SIGNATURE: undefined, POLICY_PUBLIC_KEY_B64: undefined, POLICY_SIG_PATH: undefined });
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  for (const t of TENANTS) await upsertTenant(db.prisma, t, t);
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

describe("canary membership (pure)", () => {
  test("is the first 4 bytes of sha256(tenant:rollout) as uint32, mod 100", () => {
    for (const [t, r] of [["acme-prod", 7], ["globex-critical", 123], ["x", 1]] as const) {
      const expected = createHash("sha256").update(`${t}:${r}`).digest().readUInt32BE(0) % 100;
      expect(canaryBucket(t, r)).toBe(expected);
      expect(inCanary(t, r, expected + 1)).toBe(true);
      expect(inCanary(t, r, expected)).toBe(false);
    }
  });

  test.each([1, 10, 25, 50, 90, 100])("canary %i percent: of 1000 synthetic tenants the share is within ±5 points, deterministically", (percent) => {
    const names = Array.from({ length: 1000 }, (_, i) => `tenant-${i}-${(i * 7919) % 1009}`);
    for (const rolloutId of [3, 42, 1001]) {
      const state = { pins: new Map<string, number>(), recent: [{ id: rolloutId, versionId: 2, strategy: "canary_percent", canaryPercent: percent, tenants: [] }, { id: 1, versionId: 1, strategy: "all", canaryPercent: null, tenants: [] }] };
      const first = names.map((n) => resolveVersionId(state, n));
      expect(names.map((n) => resolveVersionId(state, n))).toEqual(first);
      const share = (first.filter((v) => v === 2).length / names.length) * 100;
      expect(Math.abs(share - percent)).toBeLessThanOrEqual(5);
    }
  });

  test("pins beat rollouts; explicit covers only the listed tenants; the newest covering rollout wins", () => {
    const recent = [
      { id: 5, versionId: 50, strategy: "explicit", canaryPercent: null, tenants: ["a"] },
      { id: 4, versionId: 40, strategy: "canary_percent", canaryPercent: 100, tenants: [] },
      { id: 3, versionId: 30, strategy: "all", canaryPercent: null, tenants: [] },
    ];
    expect(resolveVersionId({ pins: new Map([["a", 7]]), recent }, "a")).toBe(7);
    expect(resolveVersionId({ pins: new Map(), recent }, "a")).toBe(50);
    expect(resolveVersionId({ pins: new Map(), recent }, "b")).toBe(40);
    expect(resolveVersionId({ pins: new Map(), recent: recent.map((r) => (r.id === 4 ? { ...r, canaryPercent: 0 } : r)) }, "b")).toBe(30);
    expect(resolveVersionId({ pins: new Map(), recent: [] }, "b")).toBeNull();
  });
});

describe("apply", () => {
  let v1: number;
  let v2: number;

  test("before any version, a rollback has nothing to return to (409) and a version-less apply nothing to apply (404)", async () => {
    await expect(rollback(alice)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/no previous platform policy version/) });
    await expect(apply(alice, { strategy: "canary_percent", canary_percent: 10 })).rejects.toMatchObject({ status: 404 });
    expect(await counts()).toEqual({ versions: 0, rollouts: 0, pins: 0 });
  });

  test("strategy all (default): a new version for every tenant, audited; the identical YAML reuses its version", async () => {
    const r = await apply(alice, { policy: policyN(1), message: "first" });
    v1 = r.version.id;
    expect(r).toMatchObject({ version: { reused: false, author: "alice", message: "first", signed: false, verified: false }, rollout: { strategy: "all", created_by: "alice" }, pinned: [], canary: null, active_version: v1, previous_version: null });
    expect(r.version.hash).toBe(createHash("sha256").update(policyN(1)).digest("hex"));
    for (const t of ["demo", "acme-prod", "fleet-3"]) expect(await versionOf(t)).toBe(v1);
    const [rec] = await policyChanges("demo");
    expect(rec).toMatchObject({ kind: "policy_change", subject: "alice", policy_version: v1, data: { action: "apply", version: v1, strategy: "all", hash: r.version.hash, headline: expect.stringMatching(/^first policy for demo/) } });

    const again = await apply(alice, { policy: policyN(1) });
    expect(again.version).toMatchObject({ id: v1, reused: true });
    expect(again.headline).toMatch(/^No changes/);
  });

  test("a second version replaces the first everywhere; the audit carries the diff headline", async () => {
    const r = await apply(alice, { policy: `${policyN(2)}  - name: "everything"\n    match: "*"\n    action: allow\n` });
    v2 = r.version.id;
    expect(r.previous_version).toBe(v1);
    expect(r.risk.level).toBe("critical");
    for (const t of TENANTS) expect(await versionOf(t)).toBe(v2);
    const [rec] = await policyChanges("demo");
    expect((rec.data as { headline: string }).headline).toMatch(/CRITICAL risk — rule "everything" now allows every tool without conditions/);
  });

  test("canary_percent: exactly the tenants whose bucket is below the percent get it, the rest keep the stable version", async () => {
    const r = await apply(alice, { policy: policyN(3), strategy: "canary_percent", canary_percent: "50" });
    const v3 = r.version.id;
    expect(r.rollout).toMatchObject({ strategy: "canary_percent", canary_percent: 50 });
    const expected = TENANTS.filter((t) => inCanary(t, r.rollout.id, 50)).sort();
    expect(r.canary).toEqual({ percent: 50, tenants: expected, known_tenants: TENANTS.length });
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(TENANTS.length - 5);
    for (const t of TENANTS) expect(await versionOf(t)).toBe(expected.includes(t) ? v3 : v2);
    // a later `all` reaches everyone, canary or not
    const all = await apply(alice, { version: String(v2) });
    expect(all.version).toMatchObject({ id: v2, reused: true });
    for (const t of TENANTS) expect(await versionOf(t)).toBe(v2);
  });

  test("seed 001 canary without a policy file rolls out the newest stored version", async () => {
    const newest = (await db.prisma.policyVersion.findFirst({ orderBy: { id: "desc" } }))!.id;
    const r = await apply(alice, { strategy: "canary_percent", canary_percent: 10 });
    expect(r.version.id).toBe(newest);
    for (const t of TENANTS) expect(await versionOf(t)).toBe(inCanary(t, r.rollout.id, 10) ? newest : v2);
    await apply(alice, { version: v2 }); // back to one stable version
  });

  test("explicit: pins the listed tenants (seed 001 tenants_csv), audited in each tenant's chain; later `all` rollouts pass them by", async () => {
    const before = (await policyChanges("acme-prod")).length;
    const r = await apply(alice, { policy: policyN(4), strategy: "explicit", tenants_csv: "acme-prod, globex-critical" });
    const v4 = r.version.id;
    expect(r.pinned).toEqual(["acme-prod", "globex-critical"]);
    expect(await versionOf("acme-prod")).toBe(v4);
    expect(await versionOf("globex-critical")).toBe(v4);
    expect(await versionOf("demo")).toBe(v2);
    expect(await db.prisma.tenantPolicyPin.findMany({ orderBy: { tenantId: "asc" } })).toMatchObject([{ tenantId: "acme-prod", versionId: v4, pinnedBy: "alice" }, { tenantId: "globex-critical", versionId: v4 }]);
    const acme = await policyChanges("acme-prod");
    expect(acme.length).toBe(before + 1);
    expect(acme[0]).toMatchObject({ subject: "alice", data: { strategy: "explicit", tenants: ["acme-prod", "globex-critical"], covers_tenant: true } });
    expect((await policyChanges("globex-critical"))[0]).toMatchObject({ policy_version: v4 });

    const v5 = (await apply(alice, { policy: policyN(5) })).version.id;
    expect(await versionOf("demo")).toBe(v5);
    expect(await versionOf("acme-prod")).toBe(v4);
  });

  test("an unknown tenant is refused by name and nothing is applied", async () => {
    const before = await counts();
    const pinsBefore = await db.prisma.tenantPolicyPin.findMany();
    await expect(apply(alice, { policy: policyN(99), strategy: "explicit", tenants_csv: "acme-prod,nope-tenant,ghost" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/unknown tenants: nope-tenant, ghost/),
      details: { unknown_tenants: ["nope-tenant", "ghost"] },
    });
    expect(await counts()).toEqual(before);
    expect(await db.prisma.tenantPolicyPin.findMany()).toEqual(pinsBefore);
  });

  test.each([
    [{ strategy: "canary_percent" }, /needs canary_percent/],
    [{ strategy: "canary_percent", canary_percent: "0" }, /1\.\.100/],
    [{ strategy: "canary_percent", canary_percent: "101" }, /1\.\.100/],
    [{ strategy: "explicit" }, /needs tenants_csv/],
    [{ strategy: "all", tenants_csv: "acme-prod" }, /only applies to strategy explicit/],
    [{ strategy: "all", canary_percent: 5 }, /only applies to strategy canary_percent/],
    [{ strategy: "blue_green" }, /strategy must be all, canary_percent or explicit/],
    [{ policy: "x: 1", version: 2 }, /either policy YAML or a version id/],
  ])("a bad request is refused: %o", (body, message) => {
    const r = applyRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join("; ")).toMatch(message);
  });

  test("invalid YAML is refused with line and column, nothing stored", async () => {
    const before = await counts();
    await expect(apply(alice, { policy: "version: 1\nrules:\n  - name: a\n    match: x\n    action: aprove\n" })).rejects.toMatchObject({
      status: 400,
      code: "invalid_policy",
      details: { errors: [expect.objectContaining({ line: 5 })] },
    });
    await expect(apply(alice, { version: 999999 })).rejects.toMatchObject({ status: 404 });
    expect(await counts()).toEqual(before);
  });

  test("when the audit log cannot record the change, nothing is applied (503)", async () => {
    const before = await counts();
    const real = svc;
    svc = createTestServices(db, { audit: { append: () => Promise.reject(auditUnavailable("audit store down")), close() {} } as unknown as AuditLog });
    try {
      await expect(apply(alice, { policy: policyN(6), strategy: "all" })).rejects.toMatchObject({ status: 503, code: "audit_unavailable" });
    } finally {
      svc = real;
    }
    const after = await counts();
    expect(after.rollouts).toBe(before.rollouts);
    expect(after.pins).toBe(before.pins);
  });
});

describe("rollback and versions", () => {
  test("a pinned tenant's rollback drops its pin and returns it to the fleet version; later rollouts reach it", async () => {
    const pinned = await versionOf("acme-prod");
    const fleet = await versionOf("demo");
    const r = await rollback(acmeAdmin);
    expect(r).toMatchObject({ action: "unpin", version: fleet, previous_version: pinned, unpinned: ["acme-prod"], active_version: fleet });
    expect(await versionOf("acme-prod")).toBe(fleet);
    expect(await versionOf("globex-critical")).toBe(pinned); // its own pin stays
    expect(await db.prisma.tenantPolicyPin.findUnique({ where: { tenantId: "acme-prod" } })).toBeNull();
    expect((await policyChanges("acme-prod"))[0]).toMatchObject({ subject: "ann", data: { action: "unpin", unpinned: ["acme-prod"] } });
    const v7 = (await apply(alice, { policy: policyN(7) })).version.id;
    expect(await versionOf("acme-prod")).toBe(v7);
  });

  test("by default a tenant rolls back to the version it ran before, for everyone", async () => {
    const current = (await versionOf("demo"))!;
    const prev = (await db.prisma.policyRollout.findMany({ where: { strategy: "all", versionId: { not: current } }, orderBy: { id: "desc" }, take: 1 }))[0].versionId;
    const r = await rollback(alice, { message: "bad deploy" });
    expect(r).toMatchObject({ action: "rollout", version: prev, previous_version: current, rollout: { strategy: "all", created_by: "alice" }, active_version: prev });
    expect(await versionOf("fleet-0")).toBe(prev);
    expect((await policyChanges("demo"))[0]).toMatchObject({ data: { action: "rollback", version: prev, previous_version: current, message: "bad deploy" } });
  });

  test("rollback to a named version; a rollback with nothing before is refused", async () => {
    const first = (await db.prisma.policyVersion.findFirst({ orderBy: { id: "asc" } }))!.id;
    const r = await rollback(alice, { version: first });
    expect(r).toMatchObject({ version: first, active_version: first });
    await expect(rollback(alice, { version: 424242 })).rejects.toMatchObject({ status: 404 });
  });

  test("versions (platform admin): newest first, with rollouts, pins, tenants on each, the caller's active and the stable one", async () => {
    const list = await listPolicyVersions(svc, platformAdmin, versionsQuerySchema.parse({}));
    expect(list.view).toBe("platform");
    const active = await versionOf("demo");
    expect(list.active_version).toBe(active);
    expect(list.stable_version).toBe(active);
    const ids = list.versions.map((v) => v.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const act = list.versions.find((v) => v.id === active)!;
    expect(act).toMatchObject({ active: true, stable: true, signed: false });
    expect(act.tenants).toContain("demo");
    expect(act.rollouts[0]).toMatchObject({ strategy: "all", created_by: "alice" });
    const pinned = list.versions.find((v) => v.pinned_tenants.includes("globex-critical"))!;
    expect(pinned.tenants).toEqual(["globex-critical"]);
    expect(pinned.rollouts.some((r) => r.strategy === "explicit" && r.tenants.includes("globex-critical"))).toBe(true);
    expect(list.versions.reduce((n, v) => n + v.tenant_count, 0)).toBe(TENANTS.length);

    const page = await listPolicyVersions(svc, alice, versionsQuerySchema.parse({ limit: "2" }));
    expect(page.versions).toHaveLength(2);
    const next = await listPolicyVersions(svc, alice, versionsQuerySchema.parse({ limit: "2", cursor: page.next_cursor }));
    expect(next.versions[0].id).toBeLessThan(page.versions[1].id);
  });

  test("versions (anyone else, even the platform tenant's policy author): only its own tenant's facts", async () => {
    for (const p of [alice, acmeAdmin]) {
      const list = await listPolicyVersions(svc, p, versionsQuerySchema.parse({ limit: "200" }));
      expect(list.view).toBe("tenant");
      const mine = await versionOf(p.tenant);
      for (const v of list.versions) {
        expect(v.tenants).toEqual(v.id === mine ? [p.tenant] : []);
        expect(v.tenant_count).toBe(v.id === mine ? 1 : 0);
        expect(v.pinned_tenants.every((t) => t === p.tenant)).toBe(true);
        for (const r of v.rollouts) {
          expect(r.tenants.every((t) => t === p.tenant)).toBe(true);
          expect(r.strategy === "all" || r.strategy === "canary_percent" || r.tenants.includes(p.tenant)).toBe(true);
        }
      }
      // globex-critical's pin and the explicit rollouts naming it are not shown to them
      expect(JSON.stringify(list)).not.toContain("globex-critical");
    }
  });
});

describe("signatures (any signing setting makes them mandatory)", () => {
  const keys = generateKeyPair();
  const other = generateKeyPair();
  afterEach(() => setEnv({ POLICY_REQUIRE_SIGNATURE: undefined, POLICY_PUBLIC_KEY_B64: undefined, POLICY_SIG_PATH: undefined }));

  test.each([
    ["no signature", undefined, 422, "signature_required"],
    ["a signature by another key", () => sign(Buffer.from(policyN(8)), other.privateKey), 422, "signature_invalid"],
    ["a signature of other bytes", () => sign(Buffer.from(policyN(8).replace("allow", "deny")), keys.privateKey), 422, "signature_invalid"],
    ["a truncated signature", () => sign(Buffer.from(policyN(8)), keys.privateKey).slice(0, 40), 422, "signature_invalid"],
  ])("apply refuses %s, nothing applied", async (_label, sig, status, code) => {
    setEnv({ POLICY_REQUIRE_SIGNATURE: "true", POLICY_PUBLIC_KEY_B64: keys.publicKey });
    const before = await counts();
    await expect(apply(alice, { policy: policyN(8), ...(sig ? { signature: sig() } : {}) })).rejects.toMatchObject({ status, code });
    expect(await counts()).toEqual(before);
  });

  test("a valid signature over the exact bytes applies, marked verified", async () => {
    setEnv({ POLICY_PUBLIC_KEY_B64: keys.publicKey });
    const yaml = `\uFEFF${policyN(8)}`; // signed with a byte-order mark: stored without, still verifies later
    const r = await apply(alice, { policy: yaml, signature: sign(Buffer.from(yaml, "utf8"), keys.privateKey) });
    expect(r.version).toMatchObject({ signed: true, verified: true, reused: false, hash: createHash("sha256").update(policyN(8)).digest("hex") });
    expect(await versionOf("demo")).toBe(r.version.id);
  });

  test("stored unsigned versions cannot be re-applied or rolled back to; signed ones can", async () => {
    const unsigned = (await db.prisma.policyVersion.findFirst({ where: { signature: null }, orderBy: { id: "asc" } }))!;
    const signed = (await db.prisma.policyVersion.findFirst({ where: { verified: true } }))!;
    setEnv({ POLICY_REQUIRE_SIGNATURE: "true", POLICY_PUBLIC_KEY_B64: keys.publicKey });
    await expect(apply(alice, { version: unsigned.id })).rejects.toMatchObject({ status: 422, code: "signature_required" });
    await expect(rollback(alice, { version: unsigned.id })).rejects.toMatchObject({ status: 422 });
    // …unless the signature comes with the request
    const ok = await apply(alice, { version: unsigned.id, signature: sign(Buffer.from(unsigned.yaml), keys.privateKey) });
    expect(ok.version).toMatchObject({ id: unsigned.id, verified: true });
    expect((await rollback(alice, { version: signed.id })).version).toBe(signed.id);
  });

  test("a signing setting without the public key refuses everything (503)", async () => {
    setEnv({ POLICY_REQUIRE_SIGNATURE: "true" });
    await expect(apply(alice, { policy: policyN(9), signature: "abc" })).rejects.toMatchObject({ status: 503, code: "signing_misconfigured" });
  });
});

describe("diff replays recorded decisions", () => {
  test("a proposal that allows what the active policy denies reports deny→allow over the tenant's recorded calls", async () => {
    const tenant = "fleet-7";
    const bob: Principal = { kind: "token", tenant, subject: "bob", roles: ["policy_author"] };
    await apply(bob, { policy: samples, strategy: "explicit", tenants_csv: tenant });
    const at = new Date("2026-11-20T09:00:00Z");
    const calls = [
      { tool: "users.export", args: { format: "csv" }, decision: "deny" },
      { tool: "users.export", args: { format: "json", api_token: "s3cr3t" }, decision: "deny" },
      { tool: "fs.read", args: { path: "/sandbox/a.txt" }, decision: "allow" },
      { tool: "cloud.estimate", args: {}, decision: "allow" },
      { tool: "net.http", args: { url: "https://evil.example.com/x", method: "GET" }, decision: "deny" },
    ];
    for (const [i, c] of calls.entries()) {
      await svc.audit.append({ tenant, kind: "tool_decision", traceId: `t-${i}`, subject: "agent-1", tool: c.tool, args: c.args, decision: c.decision, rule: null, ts: new Date(at.getTime() + i * 1000) });
    }
    // a duplicate record of an approved retry is not replayed twice
    await svc.audit.append({ tenant, kind: "tool_decision", traceId: "t-4", subject: "agent-1", tool: "net.http", args: calls[4].args, decision: "allow", data: { after_wait: true } });
    await svc.audit.append({ tenant, kind: "agent_note", subject: "agent-1", data: { note: "not a decision" } });

    const proposed = samples.replace('  - name: "User export forbidden"\n    match: "users.export"\n    action: deny', '  - name: "User export forbidden"\n    match: "users.export"\n    action: allow');
    expect(proposed).not.toBe(samples);
    const d = await diffAgainstActive(svc, bob, proposed);
    expect(d.current_version).toBe(await versionOf(tenant));
    expect(d.proposed_hash).toBe(createHash("sha256").update(proposed).digest("hex"));
    expect(d.risk.level).toBe("critical");
    expect(d.headline).toMatch(/^1 rule changed: CRITICAL risk — rule "User export forbidden" now allows users.export without conditions \(was deny\)/);
    expect(d.rule_changes).toMatchObject([{ kind: "modified", name: "User export forbidden", fields_changed: ["action"] }]);
    expect(d.decision_changes).toMatchObject({ replayed: 5, changed: 2, by_transition: { "deny→allow": 2 }, roles_assumed: [], redacted: 1 });
    expect(d.decision_changes.examples).toEqual([
      { trace_id: "t-1", seq: expect.any(Number), ts: "2026-11-20T09:00:01.000Z", tool: "users.export", subject: "agent-1", recorded: "deny", before: "deny", after: "allow", rule_before: "User export forbidden", rule_after: "User export forbidden", redacted: true },
      expect.objectContaining({ trace_id: "t-0", redacted: false }),
    ]);
    expect(d.decision_changes.notes.join(" ")).toMatch(/no roles/);
    expect(d.decision_changes.from).toBe("2026-11-20T09:00:00.000Z");

    const limited = await diffAgainstActive(svc, bob, proposed, { replay_limit: 1 });
    expect(limited.decision_changes).toMatchObject({ replayed: 1, changed: 0 });
    const none = await diffAgainstActive(svc, bob, proposed, { replay_limit: 0 });
    expect(none.decision_changes.replayed).toBe(0);
  });

  test("an invalid proposal is a 400 with line and column; a tenant with nothing recorded replays nothing", async () => {
    await expect(diffAgainstActive(svc, alice, "version: 1\nrules: 5\n")).rejects.toMatchObject({ status: 400, code: "invalid_policy", details: { errors: [expect.objectContaining({ line: 2 })] } });
    const lonely: Principal = { kind: "token", tenant: `nobody-${randomUUID().slice(0, 8)}`, subject: "x", roles: [] };
    const d = await diffAgainstActive(svc, lonely, policyN(1));
    expect(d.decision_changes).toMatchObject({ replayed: 0, changed: 0, examples: [] });
  });
});

describe("tenant boundaries", () => {
  test.each([
    ["strategy all", { policy: policyN(90), strategy: "all" }],
    ["a canary", { policy: policyN(91), strategy: "canary_percent", canary_percent: 10 }],
    ["pinning another tenant", { policy: policyN(92), strategy: "explicit", tenants_csv: "globex-critical" }],
  ])("another tenant's admin cannot roll out %s", async (_label, body) => {
    const before = await counts();
    await expect(apply(acmeAdmin, body)).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/only policy authors of the platform tenant demo/) });
    expect((await counts()).rollouts).toBe(before.rollouts);
  });

  test("another tenant's admin can pin its own tenant", async () => {
    const r = await apply(acmeAdmin, { policy: policyN(93), strategy: "explicit", tenants_csv: "acme-prod" });
    expect(r.pinned).toEqual(["acme-prod"]);
    expect(await versionOf("acme-prod")).toBe(r.version.id);
  });
});

describe("version scopes: a tenant's own versions are private to it", () => {
  const A = "scope-a";
  const B = "scope-b";
  const authorA: Principal = { kind: "token", tenant: A, subject: "amy", roles: ["policy_author"] };
  const authorB: Principal = { kind: "token", tenant: B, subject: "ben", roles: ["policy_author"] };
  const adminB: Principal = { kind: "token", tenant: B, subject: "bea", roles: ["admin"] };
  const privateYaml = policyN(500, '  - name: "A only"\n    match: "a.secret"\n    action: allow\n');
  let aVersion: number;
  let platformNewest: number;

  const missingMessage = async (id: number) => {
    const err = await apply(authorB, { strategy: "explicit", tenants_csv: B, version: id }).catch((e: unknown) => e);
    return (err as Error).message.replace(String(id), "N");
  };

  beforeAll(async () => {
    for (const t of [A, B]) await upsertTenant(db.prisma, t, t);
    platformNewest = (await apply(alice, { policy: policyN(400), message: "platform" })).version.id;
  });

  test("a pin of the caller's own tenant stores a version of that tenant; the answer says which and why", async () => {
    const r = await apply(authorA, { policy: privateYaml, strategy: "explicit", tenants_csv: A });
    aVersion = r.version.id;
    expect(r.version).toMatchObject({ scope: "tenant", tenant: A, reused: false });
    expect(r.why).toBe(`the policy sent was stored as tenant ${A} version ${aVersion}`);
    expect(await versionOf(A)).toBe(aVersion);
    expect((await db.prisma.policyVersion.findUnique({ where: { id: aVersion } }))!.tenantId).toBe(A);
    // the file policy and every rollout to all are platform versions
    expect((await db.prisma.policyVersion.findUnique({ where: { id: platformNewest } }))!.tenantId).toBeNull();
  });

  test.each([
    ["pin it (apply explicit with version)", () => apply(authorB, { strategy: "explicit", tenants_csv: B, version: aVersion })],
    ["roll back to it", () => rollback(authorB, { version: aVersion })],
    ["diff against it", () => diffAgainstActive(svc, authorB, policyN(1), { against: aVersion })],
    ["diff it as the proposal", () => diffPolicy(svc, authorB, diffRequestSchema.parse({ version: aVersion }))],
    ["roll it out fleet-wide (platform author)", () => apply(alice, { version: aVersion })],
    ["canary it (platform author)", () => apply(alice, { version: aVersion, strategy: "canary_percent", canary_percent: 50 })],
  ])("another tenant cannot %s: 404 as for an id that does not exist, nothing changes", async (_label, attempt) => {
    const before = await counts();
    const pins = await db.prisma.tenantPolicyPin.findMany({ orderBy: { tenantId: "asc" } });
    const err = (await attempt().catch((e: unknown) => e)) as { status: number; code: string; message: string };
    expect(err).toMatchObject({ status: 404, code: "not_found", message: `policy version ${aVersion} does not exist (see GET /api/v1/policy/versions)` });
    expect(await missingMessage(aVersion)).toBe(await missingMessage(987654));
    expect(await counts()).toEqual(before);
    expect(await db.prisma.tenantPolicyPin.findMany({ orderBy: { tenantId: "asc" } })).toEqual(pins);
    expect(await versionOf(B)).not.toBe(aVersion);
  });

  test("another tenant's listing does not show it; the owner's and a platform admin's do", async () => {
    const ofB = await listPolicyVersions(svc, adminB, versionsQuerySchema.parse({ limit: "200" }));
    expect(ofB.versions.map((v) => v.id)).not.toContain(aVersion);
    expect(ofB.versions.map((v) => v.id)).toContain(platformNewest);
    expect(ofB.versions.every((v) => v.scope === "platform" || v.tenant === B)).toBe(true);
    expect(JSON.stringify(ofB)).not.toContain(A);
    const ofA = await listPolicyVersions(svc, authorA, versionsQuerySchema.parse({ limit: "200" }));
    expect(ofA.versions.find((v) => v.id === aVersion)).toMatchObject({ scope: "tenant", tenant: A, active: true, tenants: [A], pinned_tenants: [A] });
    const all = await listPolicyVersions(svc, platformAdmin, versionsQuerySchema.parse({ limit: "200" }));
    expect(all.versions.find((v) => v.id === aVersion)).toMatchObject({ scope: "tenant", tenant: A, pinned_tenants: [A] });
  });

  test("a platform apply without a version rolls out the newest PLATFORM version, not a newer tenant version", async () => {
    const newest = (await db.prisma.policyVersion.findFirst({ orderBy: { id: "desc" } }))!;
    expect(newest.id).toBe(aVersion);
    const r = await apply(alice, { strategy: "canary_percent", canary_percent: 100 });
    expect(r.version).toMatchObject({ id: platformNewest, scope: "platform", tenant: null });
    expect(r.why).toMatch(new RegExp(`^no policy or version was named: the newest platform version \\(${platformNewest}\\) was applied, because strategy canary_percent reaches other tenants`));
    const all = await apply(alice, {});
    expect(all.version.id).toBe(platformNewest);
    expect(await versionOf("fleet-1")).toBe(platformNewest);
    expect(await versionOf(A)).toBe(aVersion); // its pin stays
  });

  test("the platform tenant pinning only itself stores a version private to it, which fleet rollouts do not use", async () => {
    const r = await apply(alice, { policy: policyN(501), strategy: "explicit", tenants_csv: "demo" });
    expect(r.version).toMatchObject({ scope: "tenant", tenant: "demo" });
    await expect(apply(alice, { version: r.version.id })).rejects.toMatchObject({ status: 409, code: "version_not_platform" });
    await expect(apply(alice, { version: r.version.id, strategy: "explicit", tenants_csv: "demo,acme-prod" })).rejects.toMatchObject({ status: 409, code: "version_not_platform" });
    await expect(rollback(alice, { version: r.version.id })).rejects.toMatchObject({ status: 409, code: "version_not_platform" });
    // other tenants cannot see or use it
    await expect(apply(authorB, { strategy: "explicit", tenants_csv: B, version: r.version.id })).rejects.toMatchObject({ status: 404 });
    const fleet = await apply(alice, { strategy: "all" });
    expect(fleet.version.id).toBe(platformNewest);
    // the same YAML sent with strategy all becomes a platform version of its own (never reusing the private one)
    const published = await apply(alice, { policy: policyN(501) });
    expect(published.version).toMatchObject({ scope: "platform", reused: false });
    expect(published.version.id).not.toBe(r.version.id);
    platformNewest = published.version.id;
    await rollback(alice, { version: published.version.id }); // drops demo's pin: back on the fleet
  });

  test("content dedupe never reuses another tenant's version: identical YAML gives each scope its own", async () => {
    const b = await apply(authorB, { policy: privateYaml, strategy: "explicit", tenants_csv: B });
    expect(b.version).toMatchObject({ scope: "tenant", tenant: B, reused: false });
    expect(b.version.id).not.toBe(aVersion);
    const again = await apply(authorA, { policy: privateYaml, strategy: "explicit", tenants_csv: A });
    expect(again.version).toMatchObject({ id: aVersion, reused: true });
    expect(again.why).toBe(`the policy sent is identical to tenant ${A} version ${aVersion}, which was reused`);
    const platform = await apply(alice, { policy: privateYaml, strategy: "explicit", tenants_csv: "acme-prod,globex-critical" });
    expect(platform.version).toMatchObject({ scope: "platform", reused: false });
    expect([aVersion, b.version.id]).not.toContain(platform.version.id);
    // a tenant's pin of identical YAML does not touch (reuse or re-sign) the platform version either
    const c = await apply(acmeAdmin, { policy: privateYaml, strategy: "explicit", tenants_csv: "acme-prod" });
    expect(c.version).toMatchObject({ scope: "tenant", tenant: "acme-prod", reused: false });
  });

  test("a tenant's version-less pin uses its own newest version; with none it is told how to proceed", async () => {
    const fresh: Principal = { kind: "token", tenant: "fleet-39", subject: "fay", roles: ["policy_author"] };
    await expect(apply(fresh, { strategy: "explicit", tenants_csv: "fleet-39" })).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/tenant fleet-39 has stored no policy version of its own/) });
    const r = await apply(authorA, { strategy: "explicit", tenants_csv: A });
    expect(r.version).toMatchObject({ id: aVersion, scope: "tenant" });
    expect(r.why).toMatch(/the newest tenant scope-a version .* a pin of the caller's own tenant uses that tenant's own versions/);
    // a platform version by id is theirs to pin, too
    const p = await apply(fresh, { strategy: "explicit", tenants_csv: "fleet-39", version: platformNewest });
    expect(p.version).toMatchObject({ id: platformNewest, scope: "platform" });
    expect(p.why).toBe(`version ${platformNewest} (platform) was named in the request`);
  });

  test("a tenant diffs against its own and platform versions", async () => {
    const own = await diffAgainstActive(svc, authorA, policyN(1), { against: aVersion });
    expect(own.current_version).toBe(aVersion);
    const plat = await diffPolicy(svc, authorB, diffRequestSchema.parse({ version: platformNewest, against: platformNewest, replay_limit: 0 }));
    expect(plat).toMatchObject({ current_version: platformNewest, headline: expect.stringMatching(/^No changes/) });
    expect(() => diffRequestSchema.parse({ proposed: "x", version: 3 })).toThrow(/either the proposed policy YAML or a version id/);
  });

  test("a default rollback never returns to another tenant's version, even if a (legacy) rollout names one", async () => {
    // A rollout listing B with A's version cannot be made through the API; write it as old data would be.
    const own = (await apply(authorB, { policy: policyN(502), strategy: "explicit", tenants_csv: B })).version.id;
    await db.prisma.policyRollout.create({ data: { versionId: aVersion, strategy: "explicit", tenants: [B], createdBy: "legacy" } });
    await db.prisma.tenantPolicyPin.update({ where: { tenantId: B }, data: { versionId: own } });
    const r = await rollback(authorB);
    expect(r.action).toBe("unpin");
    const again = await rollback(authorB);
    expect(again.version).toBe(own);
    expect(await versionOf(B)).not.toBe(aVersion);
  });
});
