import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditSearchQuerySchema } from "@/lib/audit";
import type { Principal } from "@/lib/auth";
import { sha256Hex } from "@/lib/canonical";
import { activeVersionFor } from "@/lib/db/policy-versions";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { resetEnvForTests } from "@/lib/env";
import { isAppError } from "@/lib/errors";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { simulateBatch } from "./batch";
import { createCompiledDraftCache } from "./compiled-cache";
import { diffPolicy } from "./diff";
import { deleteOwnDraft, getOwnDraft, saveOwnDraft } from "./drafts";
import { policyHash } from "./identity";
import { applyPolicy, listPolicyVersions, promoteCanary, rollbackPolicy } from "./lifecycle";
import { simulateCall, validatePolicyText } from "./operations";
import { applyRequestSchema, diffRequestSchema, draftBodySchema, promoteRequestSchema, rollbackRequestSchema, simulateBatchRequestSchema, simulateRequestSchema, versionsQuerySchema } from "./schemas";
import { testCaseBodySchema } from "./test-case-schemas";
import { createTestCase, deleteTestCase, gateCases, listTestCases, updateTestCase } from "./test-cases";

/**
 * The studio's server side (issue 11), against a fresh database (real Postgres when DATABASE_URL
 * is set, else PGlite) and the real audit log: test-case storage, the apply gate, base_version
 * conflicts, drafts, promote, batch simulation and the one policy hash.
 */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void> = async () => {};
const saved = { ...process.env };

const root: Principal = { kind: "token", tenant: "demo", subject: "root", roles: ["admin"] };
const bob: Principal = { kind: "token", tenant: "demo", subject: "bob", roles: ["policy_author"] };
const ann: Principal = { kind: "token", tenant: "acme-prod", subject: "ann", roles: ["policy_author"] };
const viewer: Principal = { kind: "token", tenant: "demo", subject: "vic", roles: ["viewer"] };

const policy = (extra = "", readAction = "allow") =>
  `version: 1\ndefaults: { decision: deny }\nrules:\n  - name: "reads"\n    match: "fs.read"\n    action: ${readAction}\n  - name: "writes"\n    match: "fs.write"\n    action: approval\n${extra}`;
const apply = (p: Principal, body: Record<string, unknown>) => applyPolicy(svc, p, applyRequestSchema.parse(body));
const tc = (body: Record<string, unknown>) => testCaseBodySchema.parse(body);

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return { status: e.status, code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error("expected a refusal");
}

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-studio-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, CANOPY_PLATFORM_TENANT: "demo", LOG_LEVEL: "silent" });
  for (const k of ["POLICY_REQUIRE_SIGNATURE", "POLICY_PUBLIC_KEY_B64", "POLICY_SIG_PATH"]) delete process.env[k];
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  for (const t of ["demo", "acme-prod", ...Array.from({ length: 30 }, (_, i) => `fleet-${i}`)]) await upsertTenant(db.prisma, t, t);
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

describe("policy hash: SHA-256 of the signed bytes, BOM stripped, the same everywhere", () => {
  test("validate, simulate, diff, apply, the versions table and the audit log agree", async () => {
    const text = `${policy()}# a comment changes the bytes\n`;
    const bytes = sha256Hex(text);
    expect(policyHash(`\uFEFF${text}`)).toBe(bytes);
    const v = validatePolicyText(svc, `\uFEFF${text}`);
    expect(v.hash).toBe(bytes);
    expect(v.semantic_hash).toBe(validatePolicyText(svc, policy()).semantic_hash);
    expect(validatePolicyText(svc, policy()).hash).not.toBe(bytes);
    const s = await simulateCall(svc, root, simulateRequestSchema.parse({ tool: "fs.read", policy: text }), new Date());
    expect(s.policy_hash).toBe(bytes);
    const d = await diffPolicy(svc, root, diffRequestSchema.parse({ proposed: `\uFEFF${text}`, replay_limit: 0 }));
    expect(d.proposed_hash).toBe(bytes);
    const a = await apply(root, { policy: `\uFEFF${text}`, strategy: "all" });
    expect(a.version.hash).toBe(bytes);
    const listed = (await listPolicyVersions(svc, root, versionsQuerySchema.parse({}))).versions.find((x) => x.id === a.version.id);
    expect(listed?.hash).toBe(bytes);
    const rec = (await svc.audit.search("demo", auditSearchQuerySchema.parse({ kind: "policy_change", limit: 5 }))).records[0];
    expect((rec.data as { hash: string }).hash).toBe(bytes);
  });
});

describe("batch simulation with the compiled-draft cache", () => {
  test("one request decides every call, in order; the same bytes compile once", async () => {
    const cache = svc.compiledDrafts;
    const sizeBefore = cache.size;
    // Bytes no earlier test validated: the services' cache has not seen them.
    const text = `${policy()}# batch\n`;
    const req = simulateBatchRequestSchema.parse({ policy: text, calls: [{ tool: "fs.read" }, { tool: "fs.write", arguments: { path: "/x" } }, { tool: "net.http" }] });
    const first = await simulateBatch(svc, bob, req, new Date());
    expect(first.cached).toBe(false);
    expect(first.results.map((r) => r.decision?.decision)).toEqual(["allow", "approval", "deny"]);
    expect(first.policy_hash).toBe(sha256Hex(text));
    expect((await simulateBatch(svc, bob, req, new Date())).cached).toBe(true);
    expect(cache.size).toBe(sizeBefore + 1);
  });

  test.each([
    ["an invalid policy", { policy: "version: 1\nrules: [ { name: x } ]\n", calls: [{ tool: "fs.read" }] }, bob, 400, "invalid_policy"],
    ["an inline policy without policies.write", { policy: policy(), calls: [{ tool: "fs.read" }] }, viewer, 403, "forbidden"],
    ["a call naming another tenant", { calls: [{ tool: "fs.read", tenant: "acme-prod" }] }, bob, 403, "forbidden"],
  ])("refuses %s", async (_label, body, who, status, code) => {
    const r = await refusal(simulateBatch(svc, who, simulateBatchRequestSchema.parse(body), new Date()));
    expect([r.status, r.code]).toEqual([status, code]);
  });

  test("bounds the number of calls", () => {
    expect(simulateBatchRequestSchema.safeParse({ calls: Array.from({ length: 501 }, () => ({ tool: "a" })) }).success).toBe(false);
  });

  test("the cache is bounded by entries", () => {
    const cache = createCompiledDraftCache({ max: 2 });
    for (let i = 0; i < 5; i++) cache.get(`${policy()}# ${i}\n`);
    expect(cache.size).toBe(2);
  });
});

describe("test cases in Postgres", () => {
  test("create, list, update, delete per tenant; names unique; audited", async () => {
    const a = await createTestCase(svc, bob, tc({ name: "reads allowed", call: { tool: "fs.read", arguments: { path: "/a" } }, roles: ["dev"], expected: { decision: "allow", rule: "reads" } }));
    expect(a).toMatchObject({ name: "reads allowed", scope: "tenant", roles: ["dev"], expected: { decision: "allow", rule: "reads" }, created_by: "bob" });
    const b = await createTestCase(svc, bob, tc({ name: "default denies", call: { tool: "nope" }, expected: { decision: "deny", rule: null } }));
    expect(b.expected).toEqual({ decision: "deny", rule: null });
    expect((await refusal(createTestCase(svc, bob, tc({ name: "reads allowed", call: { tool: "x" }, expected: { decision: "deny" } })))).status).toBe(409);
    // Another tenant sees none of them and cannot change them.
    expect((await listTestCases(svc, ann)).test_cases).toEqual([]);
    expect((await refusal(deleteTestCase(svc, ann, a.id))).status).toBe(404);
    expect((await refusal(updateTestCase(svc, ann, a.id, tc({ name: "x", call: { tool: "x" }, expected: { decision: "deny" } })))).status).toBe(404);
    const u = await updateTestCase(svc, bob, b.id, tc({ name: "default denies", call: { tool: "nope" }, expected: { decision: "deny" } }));
    expect(u.expected).toEqual({ decision: "deny" });
    expect((await listTestCases(svc, bob)).test_cases.map((x) => x.name)).toEqual(["reads allowed", "default denies"]);
    await deleteTestCase(svc, bob, b.id);
    expect((await listTestCases(svc, bob)).test_cases.map((x) => x.name)).toEqual(["reads allowed"]);
    const audited = (await svc.audit.search("demo", auditSearchQuerySchema.parse({ kind: "policy_change", limit: 20 }))).records.map((r) => r.reason);
    expect(audited).toEqual(expect.arrayContaining(["policy test case “reads allowed” created", "policy test case “default denies” deleted"]));
  });

  test.each([
    ["platform scope from another tenant", ann, { name: "p", scope: "platform", call: { tool: "x" }, expected: { decision: "deny" } }],
    ["a tenant case naming another tenant", bob, { name: "t", tenant: "acme-prod", call: { tool: "x" }, expected: { decision: "deny" } }],
  ])("refuses %s (403)", async (_l, who, body) => {
    expect((await refusal(createTestCase(svc, who, tc(body)))).status).toBe(403);
  });

  test("gate cases: platform rollouts run platform cases, a tenant's pin its own", async () => {
    await createTestCase(svc, root, tc({ name: "platform: writes need approval", scope: "platform", call: { tool: "fs.write" }, expected: { decision: "approval" } }));
    expect((await gateCases(svc, null)).map((c) => c.name)).toEqual(["platform: writes need approval"]);
    expect((await gateCases(svc, "demo")).map((c) => c.name)).toEqual(["reads allowed"]);
    expect(await gateCases(svc, "acme-prod")).toEqual([]);
  });
});

describe("the apply gate", () => {
  test("a version failing the scope's cases is refused with them (422), nothing stored", async () => {
    const before = await db.prisma.policyVersion.count();
    const r = await refusal(apply(root, { policy: policy("", "deny"), strategy: "explicit", tenants_csv: "demo" }));
    expect(r.status).toBe(422);
    expect(r.code).toBe("test_cases_failed");
    expect((r.details as { failing: { name: string }[] }).failing.map((f) => f.name)).toEqual(["reads allowed"]);
    expect(await db.prisma.policyVersion.count()).toBe(before);
  });

  test("the author may override with a reason, which is audited", async () => {
    const a = await apply(root, { policy: policy("", "deny"), strategy: "explicit", tenants_csv: "demo", override_reason: "reads are frozen for the audit", message: "freeze" });
    expect(a.tests).toMatchObject({ total: 1, failed: 1, overridden: true, override_reason: "reads are frozen for the audit" });
    const rec = (await svc.audit.search("demo", auditSearchQuerySchema.parse({ kind: "policy_change", limit: 1 }))).records[0];
    expect(rec.data).toMatchObject({ test_override_reason: "reads are frozen for the audit", message: "freeze", tests: { failed: 1 } });
    await rollbackPolicy(svc, root, rollbackRequestSchema.parse({}));
  });

  test("platform cases gate platform rollouts; a passing version applies", async () => {
    const r = await refusal(apply(root, { policy: policy().replace("action: approval", "action: allow"), strategy: "all" }));
    expect([r.status, (r.details as { failing: { name: string }[] }).failing[0].name]).toEqual([422, "platform: writes need approval"]);
    const ok = await apply(root, { policy: `${policy()}# ok\n`, strategy: "all" });
    expect(ok.tests).toMatchObject({ total: 1, passed: 1, failed: 0, overridden: false });
  });
});

describe("base_version: no silent overwrite", () => {
  test("an apply based on an older version answers 409 with the diff to merge; without a base it applies", async () => {
    const { prisma } = db;
    const current = (await activeVersionFor(prisma, "demo"))!.id;
    const mine = `${policy()}# bob's draft\n`;
    // Someone else applies first.
    const other = await apply(root, { policy: `${policy('  - name: "lists"\n    match: "fs.list"\n    action: allow\n')}`, strategy: "all", base_version: current, message: "lists for everyone" });
    const r = await refusal(apply(bob, { policy: mine, strategy: "explicit", tenants_csv: "demo", base_version: current }));
    expect(r.status).toBe(409);
    expect(r.code).toBe("base_version_conflict");
    expect(r.details).toMatchObject({ base_version: current, active_version: other.version.id, active_message: "lists for everyone", changes_since_base: { rule_changes: [expect.objectContaining({ kind: "added", name: "lists" })] } });
    expect((r.details as { proposed_vs_active: { rule_changes: { name: string }[] } }).proposed_vs_active.rule_changes.map((c) => c.name)).toContain("lists");
    // Based on the version now active, it applies; a seed-style apply without a base too.
    expect((await apply(bob, { policy: mine, strategy: "explicit", tenants_csv: "demo", base_version: other.version.id })).version.id).toBeGreaterThan(other.version.id);
    await apply(bob, { policy: `${mine}# again\n`, strategy: "explicit", tenants_csv: "demo" });
  });

  test("base_version none conflicts once a version runs", async () => {
    expect((await refusal(apply(ann, { policy: policy(), strategy: "explicit", tenants_csv: "acme-prod", base_version: "none" }))).code).toBe("base_version_conflict");
  });
});

describe("drafts per author", () => {
  test("saved, read back by the same author only, dropped", async () => {
    await saveOwnDraft(svc, bob, draftBodySchema.parse({ text: "version: 1\n", base_version: 3 }));
    expect(await getOwnDraft(svc, bob)).toMatchObject({ author: "bob", text: "version: 1\n", base_version: 3, hash: sha256Hex("version: 1\n") });
    expect((await refusal(getOwnDraft(svc, root))).status).toBe(404);
    expect((await refusal(getOwnDraft(svc, { ...bob, tenant: "acme-prod" }))).status).toBe(404);
    await deleteOwnDraft(svc, bob);
    expect((await refusal(getOwnDraft(svc, bob))).status).toBe(404);
  });
});

describe("promote", () => {
  test("a canary goes to every tenant, audited; without a canary in progress 409", async () => {
    const text = `${policy()}# canary\n`;
    const c = await apply(root, { policy: text, strategy: "canary_percent", canary_percent: 10 });
    const p = await promoteCanary(svc, root, promoteRequestSchema.parse({ message: "looks good" }));
    expect(p).toMatchObject({ version: c.version.id, canary_rollout: c.rollout.id, rollout: { strategy: "all" } });
    for (const t of ["fleet-1", "fleet-7", "acme-prod"]) {
      const { prisma } = db;
      const pin = await prisma.tenantPolicyPin.findUnique({ where: { tenantId: t } });
      if (!pin) expect((await activeVersionFor(prisma, t))?.id).toBe(c.version.id);
    }
    const rec = (await svc.audit.search("demo", auditSearchQuerySchema.parse({ kind: "policy_change", limit: 1 }))).records[0];
    expect(rec.data).toMatchObject({ action: "promote", message: "looks good", canary_rollout: c.rollout.id });
    expect((await refusal(promoteCanary(svc, root, promoteRequestSchema.parse({})))).status).toBe(409);
    expect((await refusal(promoteCanary(svc, ann, promoteRequestSchema.parse({})))).status).toBe(403);
  });
});

describe("risk of a return to a version that ran before", () => {
  test("a rollback that changes no recorded decision is low risk, though the text differs a lot", async () => {
    const acmeAdmin: Principal = { kind: "token", tenant: "acme-prod", subject: "ann", roles: ["admin"] };
    // v1 let everything through (an allow-all rule: structurally critical to bring back); v2 tightened it.
    const v1 = await apply(acmeAdmin, { policy: `version: 1\ndefaults: { decision: deny }\nrules:\n  - name: "everything"\n    match: "*"\n    action: allow\n`, strategy: "explicit", tenants_csv: "acme-prod" });
    await apply(acmeAdmin, { policy: policy(), strategy: "explicit", tenants_csv: "acme-prod" });
    const back = await diffPolicy(svc, acmeAdmin, diffRequestSchema.parse({ version: v1.version.id }));
    expect(back.returns_to_version).toBe(v1.version.id);
    expect(back.structural_risk.level).toBe("critical");
    expect(back.risk.level).toBe("low");
    expect(back.headline).toMatch(new RegExp(`^Returns to version ${v1.version.id} \\(ran before\\): LOW risk`));
    // A change to a version never run keeps the structural risk.
    const fresh = await diffPolicy(svc, acmeAdmin, diffRequestSchema.parse({ proposed: `version: 1\ndefaults: { decision: deny }\nrules:\n  - name: "everything"\n    match: "*"\n    action: allow\n# new\n` }));
    expect(fresh.returns_to_version).toBeNull();
    expect(fresh.risk.level).toBe("critical");
    const rb = await rollbackPolicy(svc, acmeAdmin, rollbackRequestSchema.parse({ version: v1.version.id, message: "undo the loosening" }));
    expect(rb.headline).toMatch(/Returns to version \d+ \(ran before\): LOW risk/);
  });
});
