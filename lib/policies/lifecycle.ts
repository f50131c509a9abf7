import type { Principal } from "@/lib/auth";
import { appendAudit } from "@/lib/audit";
import { sha256Hex } from "@/lib/canonical";
import { getDb, type PrismaClient } from "@/lib/db";
import * as q from "@/lib/db/policy-versions";
import { env, platformTenant } from "@/lib/env";
import { AppError, badRequest, conflict, forbidden, notFound } from "@/lib/errors";
import { diffPolicies, parsePolicy, type Policy, type PolicyDiff } from "@/lib/policy";
import { verify } from "@/lib/signing";
import { forgetTenantVersions } from "./active";
import { parseOrReject } from "./diff";
import { type ApplyRequest, policyTextOf, type RollbackRequest, type VersionsQuery } from "./schemas";

type VersionRow = NonNullable<Awaited<ReturnType<typeof q.getVersion>>>;
type Strategy = q.RolloutStrategy;

const BOM = "\uFEFF";
const EMPTY_POLICY: Policy = { version: 1, defaults: { decision: "deny" }, rules: [] };

// --- signatures ------------------------------------------------------------------------------

/** Any signing setting makes signatures mandatory for apply and rollback (as at start: fail closed). */
export function signingRequired(): boolean {
  const e = env();
  return e.POLICY_REQUIRE_SIGNATURE || Boolean(e.POLICY_PUBLIC_KEY_B64) || Boolean(e.POLICY_SIG_PATH);
}

/**
 * Checks a signature over the exact YAML bytes. With signing configured it must be present and
 * verify (else 422); without, a given signature is kept but marked unverified.
 */
export function checkSignature(yaml: string, signature: string | null | undefined, what = "the policy"): { signature: string | null; verified: boolean } {
  // A stored version has lost a leading byte-order mark (the database driver drops it): a
  // signature over the file as signed, BOM included, still verifies.
  const candidates = yaml.startsWith(BOM) ? [yaml] : [yaml, `${BOM}${yaml}`];
  const sig = signature?.trim() || null;
  if (!signingRequired()) return { signature: sig, verified: false };
  const key = env().POLICY_PUBLIC_KEY_B64;
  if (!key) throw new AppError(503, "signing_misconfigured", "policy signatures are required (a signing setting is present) but POLICY_PUBLIC_KEY_B64 is not set: nothing can be applied");
  if (!sig) {
    throw new AppError(422, "signature_required", `this server only runs signed policies: send a \`signature\` field with the base64 Ed25519 signature of the exact YAML bytes of ${what} (npx canopy policy sign FILE --private-key K)`);
  }
  const results = candidates.map((c) => verify(Buffer.from(c, "utf8"), sig, key));
  const r = results.find((x) => x.ok) ?? results[0];
  if (!r.ok) throw new AppError(422, "signature_invalid", `the signature of ${what} does not verify: ${r.message} (${r.reason}); nothing was applied`, { reason: r.reason });
  return { signature: sig, verified: true };
}

/** A stored version about to run again: with signing configured, its (or the given) signature must verify now. */
async function ensureSigned(prisma: PrismaClient, row: VersionRow, given?: string): Promise<VersionRow> {
  if (!signingRequired()) return row;
  const sig = checkSignature(row.yaml, given ?? row.signature, `policy version ${row.id}`);
  if (row.signature === sig.signature && row.verified) return row;
  return q.setVersionSignature(prisma, row.id, sig.signature!, true);
}

// --- views -----------------------------------------------------------------------------------

function versionView(v: { id: number; hash: string; author: string; message: string | null; createdAt: Date; signature: string | null; verified: boolean }) {
  return { id: v.id, hash: v.hash, author: v.author, message: v.message, created_at: v.createdAt.toISOString(), signed: Boolean(v.signature), verified: v.verified };
}

function rolloutView(r: { id: number; versionId: number; strategy: string; canaryPercent: number | null; tenants: string[]; createdBy: string; createdAt: Date }) {
  return {
    id: r.id,
    version: r.versionId,
    strategy: r.strategy as Strategy,
    canary_percent: r.canaryPercent,
    tenants: r.tenants,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
  };
}

function policyOrEmpty(yaml: string | undefined): Policy {
  if (yaml === undefined) return EMPTY_POLICY;
  const p = parsePolicy(yaml);
  return p.ok ? p.policy : EMPTY_POLICY;
}

// --- rollout ---------------------------------------------------------------------------------

interface Plan {
  action: "apply" | "rollback" | "unpin";
  strategy: Strategy;
  canaryPercent?: number;
  /** Explicit: the tenants listed (and pinned unless `pin` is false). */
  tenants: string[];
  pin: boolean;
  unpin: string[];
  message?: string;
  reused: boolean;
}

/**
 * Audits, then writes one rollout (and its pin changes). The audit records come first and must be
 * durable: when the audit log cannot take them, nothing is applied (503).
 */
async function rollOut(prisma: PrismaClient, principal: Principal, row: VersionRow, plan: Plan) {
  const before = await q.activeVersionFor(prisma, principal.tenant);
  const diff: PolicyDiff = diffPolicies(policyOrEmpty(before?.yaml), parseOrReject(row.yaml, `policy version ${row.id}`));
  const headline = before ? diff.headline : `first policy for ${principal.tenant}: ${parseOrReject(row.yaml).rules.length} rules`;
  const rolloutId = await q.reserveRolloutId(prisma);
  const coverage: q.RolloutCoverage = { id: rolloutId, versionId: row.id, strategy: plan.strategy, canaryPercent: plan.canaryPercent ?? null, tenants: plan.tenants };

  let canary: { percent: number; tenants: string[]; known_tenants: number } | null = null;
  if (plan.strategy === "canary_percent") {
    const ids = await q.allTenantIds(prisma);
    canary = { percent: plan.canaryPercent!, tenants: ids.filter((t) => q.inCanary(t, rolloutId, plan.canaryPercent!)), known_tenants: ids.length };
  }

  const data = {
    action: plan.action,
    version: row.id,
    hash: row.hash,
    strategy: plan.strategy,
    canary_percent: plan.canaryPercent ?? null,
    tenants: plan.tenants,
    pinned: plan.pin ? plan.tenants : [],
    unpinned: plan.unpin,
    rollout_id: rolloutId,
    previous_version: before?.id ?? null,
    headline,
    risk: diff.risk.level,
    signed: Boolean(row.signature),
    verified: row.verified,
    reused_version: plan.reused,
    message: plan.message ?? null,
  };
  const what =
    plan.action === "unpin"
      ? `pin of ${principal.tenant} removed: back to version ${row.id}`
      : `policy version ${row.id} ${plan.action === "rollback" ? "rolled back to" : "applied"} (${plan.strategy}${plan.strategy === "canary_percent" ? ` ${plan.canaryPercent}%` : plan.strategy === "explicit" ? `: ${plan.tenants.join(", ")}` : ""})`;
  const audited = [principal.tenant, ...(plan.pin ? plan.tenants.filter((t) => t !== principal.tenant) : [])];
  await Promise.all(
    audited.map((tenant) =>
      appendAudit({
        tenant,
        kind: "policy_change",
        subject: principal.subject,
        reason: `${what}: ${headline}`,
        policyVersion: row.id,
        data: { ...data, covers_tenant: q.rolloutCovers(coverage, tenant) || plan.unpin.includes(tenant) },
      }),
    ),
  );

  let rollout;
  try {
    rollout = await q.createRollout(prisma, {
      id: rolloutId,
      versionId: row.id,
      strategy: plan.strategy,
      canaryPercent: plan.canaryPercent ?? null,
      tenants: plan.tenants,
      createdBy: principal.subject,
      pin: plan.pin ? plan.tenants : [],
      unpin: plan.unpin,
    });
  } catch (err) {
    // The change was audited as made; record that it was not (best effort) before failing.
    await appendAudit({ tenant: principal.tenant, kind: "policy_change", subject: principal.subject, reason: `${what}: FAILED, nothing changed`, policyVersion: row.id, data: { ...data, outcome: "failed", error: (err as Error).message } }).catch(() => undefined);
    throw err;
  } finally {
    forgetTenantVersions();
  }
  const after = await q.activeVersionFor(prisma, principal.tenant);
  return { rollout: rolloutView(rollout), canary, headline, risk: diff.risk, previous_version: before?.id ?? null, active_version: after?.id ?? null };
}

// --- apply -----------------------------------------------------------------------------------

async function versionToApply(prisma: PrismaClient, principal: Principal, req: ApplyRequest): Promise<{ row: VersionRow; reused: boolean }> {
  const raw = policyTextOf(req);
  if (raw !== undefined) {
    // The signature covers the bytes as sent; the version stores them without a leading BOM.
    const text = raw.startsWith(BOM) ? raw.slice(1) : raw;
    parseOrReject(text);
    const sig = checkSignature(raw, req.signature);
    const hash = sha256Hex(text);
    const existing = await q.findVersionByHash(prisma, hash);
    if (existing && existing.yaml === text) {
      const better = sig.signature && (sig.verified ? !existing.verified || existing.signature !== sig.signature : !existing.signature);
      return { row: better ? await q.setVersionSignature(prisma, existing.id, sig.signature!, sig.verified) : existing, reused: true };
    }
    const row = await q.createVersion(prisma, { yaml: text, hash, signature: sig.signature, verified: sig.verified, author: principal.subject, message: req.message });
    return { row, reused: false };
  }
  const row = req.version !== undefined ? await q.getVersion(prisma, req.version) : await q.latestVersion(prisma);
  if (!row) {
    throw req.version !== undefined
      ? notFound(`policy version ${req.version} does not exist (see GET /api/v1/policy/versions)`)
      : notFound("no policy version is stored yet: send the policy YAML in a `policy` field");
  }
  return { row: await ensureSigned(prisma, row, req.signature), reused: true };
}

/**
 * Seed 001 "Staged Rollout" / "Tenant Overrides": stores the policy as a version (or reuses the
 * identical one) and rolls it out: `all` (every tenant without a pin), `canary_percent` (the
 * tenants whose hash bucket for this rollout is below the percent; the rest keep their version)
 * or `explicit` (pins each listed tenant, which must exist).
 */
/**
 * A tenant's credentials never act on another tenant: rollouts that reach other tenants (all,
 * canary, pins of others) are for the platform tenant's policy authors only.
 */
function assertMayReach(principal: Principal, what: string) {
  const platform = platformTenant();
  if (principal.tenant !== platform) {
    throw forbidden(
      `${what} reaches other tenants; only policy authors of the platform tenant ${platform} may do that. Pin your own tenant instead: strategy=explicit, tenants_csv=${principal.tenant}`,
    );
  }
}

export async function applyPolicy(principal: Principal, req: ApplyRequest) {
  const { prisma } = await getDb();
  const tenants = [...new Set([...(req.tenants_csv ?? []), ...(req.tenants ?? [])])];
  if (req.strategy !== "explicit") assertMayReach(principal, `strategy ${req.strategy}`);
  else if (tenants.some((t) => t !== principal.tenant)) assertMayReach(principal, `pinning ${tenants.filter((t) => t !== principal.tenant).join(", ")}`);
  if (req.strategy === "explicit") {
    const missing = await q.missingTenants(prisma, tenants);
    if (missing.length) throw badRequest(`unknown tenant${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}; nothing was applied`, { unknown_tenants: missing });
  }
  const { row, reused } = await versionToApply(prisma, principal, req);
  const r = await rollOut(prisma, principal, row, {
    action: "apply",
    strategy: req.strategy,
    canaryPercent: req.canary_percent,
    tenants,
    pin: req.strategy === "explicit",
    unpin: [],
    message: req.message,
    reused,
  });
  return {
    version: { ...versionView(row), reused },
    rollout: r.rollout,
    pinned: req.strategy === "explicit" ? tenants : [],
    canary: r.canary,
    headline: r.headline,
    risk: r.risk,
    previous_version: r.previous_version,
    active_version: r.active_version,
  };
}

// --- rollback --------------------------------------------------------------------------------

/** The newest version the tenant ran before `current`, from the rollouts that covered it. */
async function previousVersionOf(prisma: PrismaClient, tenant: string, current: number | null): Promise<number | null> {
  for (const r of await q.rolloutsCovering(prisma, tenant)) if (r.versionId !== current) return r.versionId;
  return null;
}

/**
 * Rolls back: to `version` (rolled out to all, and the caller's pin removed so its tenant runs it
 * too), or by default to the previous version the caller's tenant ran. A pinned tenant without a
 * version given drops its pin and returns to the fleet's version (recorded as an explicit rollout
 * of that version for the tenant, without a pin, so later rollouts reach it again).
 */
export async function rollbackPolicy(principal: Principal, req: RollbackRequest) {
  const { prisma } = await getDb();
  const tenant = principal.tenant;
  const pin = await q.pinOf(prisma, tenant);
  const current = await q.activeVersionFor(prisma, tenant);

  if (req.version === undefined && pin) {
    const fleet = await q.fleetVersionIdFor(prisma, tenant);
    if (fleet === null) throw conflict(`tenant ${tenant} is pinned to version ${pin.versionId} and no fleet-wide version exists to return to: roll back to a version id instead`);
    const row = await ensureSigned(prisma, (await q.getVersion(prisma, fleet))!);
    const r = await rollOut(prisma, principal, row, { action: "unpin", strategy: "explicit", tenants: [tenant], pin: false, unpin: [tenant], message: req.message, reused: true });
    return { action: "unpin" as const, version: row.id, previous_version: current?.id ?? null, rollout: r.rollout, unpinned: [tenant], headline: r.headline, active_version: r.active_version };
  }

  const target = req.version ?? (await previousVersionOf(prisma, tenant, current?.id ?? null));
  if (target === null) throw conflict(`tenant ${tenant} has no previous policy version to roll back to${current ? ` (it runs version ${current.id})` : ""}`);
  const found = await q.getVersion(prisma, target);
  if (!found) throw notFound(`policy version ${target} does not exist (see GET /api/v1/policy/versions)`);
  const row = await ensureSigned(prisma, found);
  if (principal.tenant !== platformTenant()) {
    // Another tenant rolls back only itself: a pin of its own tenant to the target version.
    const r = await rollOut(prisma, principal, row, { action: "rollback", strategy: "explicit", tenants: [tenant], pin: true, unpin: [], message: req.message, reused: true });
    return { action: "rollout" as const, version: row.id, previous_version: current?.id ?? null, rollout: r.rollout, unpinned: [], headline: r.headline, active_version: r.active_version };
  }
  const unpin = pin ? [tenant] : [];
  const r = await rollOut(prisma, principal, row, { action: "rollback", strategy: "all", tenants: [], pin: false, unpin, message: req.message, reused: true });
  return { action: "rollout" as const, version: row.id, previous_version: current?.id ?? null, rollout: r.rollout, unpinned: unpin, headline: r.headline, active_version: r.active_version };
}

// --- versions --------------------------------------------------------------------------------

const MAX_TENANTS_LISTED = 100;

/** History: every version with its rollouts, pins, the tenants on it now, and which one the caller runs. */
export async function listPolicyVersions(principal: Principal, query: VersionsQuery) {
  const { prisma } = await getDb();
  const rows = await q.listVersionsWithRollouts(prisma, { limit: query.limit + 1, beforeId: query.cursor });
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const state = await q.rolloutState(prisma);
  const onVersion = new Map<number, string[]>();
  for (const t of await q.allTenantIds(prisma)) {
    const v = q.resolveVersionId(state, t);
    if (v === null) continue;
    const list = onVersion.get(v) ?? [];
    list.push(t);
    onVersion.set(v, list);
  }
  const active = q.resolveVersionId(state, principal.tenant);
  const stable = state.recent.find((r) => r.strategy === "all")?.versionId ?? null;
  return {
    versions: page.map((v) => {
      const tenants = onVersion.get(v.id) ?? [];
      return {
        ...versionView(v),
        active: v.id === active,
        stable: v.id === stable,
        tenants: tenants.slice(0, MAX_TENANTS_LISTED),
        tenant_count: tenants.length,
        pinned_tenants: v.pins.map((p) => p.tenantId),
        rollouts: v.rollouts.map((r) => {
          const { version: _v, ...rest } = rolloutView({ ...r, versionId: v.id });
          return rest;
        }),
      };
    }),
    active_version: active,
    stable_version: stable,
    next_cursor: more ? String(page[page.length - 1].id) : null,
  };
}
