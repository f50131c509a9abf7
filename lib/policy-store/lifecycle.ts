import type { Principal } from "@/lib/auth";
import type { Services } from "@/lib/server/types";
import { isPlatformAdmin } from "@/lib/auth/platform";
import { sha256Hex } from "@/lib/canonical";
import type { PrismaClient } from "@/lib/db";
import * as q from "@/lib/db/policy-versions";
import { type RolloutCoverage, type RolloutStrategy, inCanary, resolveVersionId, rolloutCovers } from "@/lib/policy/rollout";
import { env, platformTenant } from "@/lib/env";
import { AppError, badRequest, conflict, forbidden, notFound } from "@/lib/errors";
import { diffPolicies, parsePolicy, type Policy, type PolicyDiff } from "@/lib/policy";
import { verify } from "@/lib/signing";
import { parseOrReject } from "./diff";
import { ownerLabel, requirePlatformScope, scopeOf, usableBy, usableVersion } from "./scope";
import { type ApplyRequest, policyTextOf, type RollbackRequest, type VersionsQuery } from "./schemas";

type VersionRow = NonNullable<Awaited<ReturnType<typeof q.getVersion>>>;
type Strategy = RolloutStrategy;

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


function versionView(v: { id: number; tenantId: string | null; hash: string; author: string; message: string | null; createdAt: Date; signature: string | null; verified: boolean }) {
  return {
    id: v.id,
    scope: scopeOf(v),
    tenant: v.tenantId,
    hash: v.hash,
    author: v.author,
    message: v.message,
    created_at: v.createdAt.toISOString(),
    signed: Boolean(v.signature),
    verified: v.verified,
  };
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

async function rollOut(svc: Services, prisma: PrismaClient, principal: Principal, row: VersionRow, plan: Plan) {
  const before = await q.activeVersionFor(prisma, principal.tenant);
  const diff: PolicyDiff = diffPolicies(policyOrEmpty(before?.yaml), parseOrReject(row.yaml, `policy version ${row.id}`));
  const headline = before ? diff.headline : `first policy for ${principal.tenant}: ${parseOrReject(row.yaml).rules.length} rules`;
  const rolloutId = await q.reserveRolloutId(prisma);
  const coverage: RolloutCoverage = { id: rolloutId, versionId: row.id, strategy: plan.strategy, canaryPercent: plan.canaryPercent ?? null, tenants: plan.tenants };

  let canary: { percent: number; tenants: string[]; known_tenants: number } | null = null;
  if (plan.strategy === "canary_percent") {
    const ids = await q.allTenantIds(prisma);
    canary = { percent: plan.canaryPercent!, tenants: ids.filter((t) => inCanary(t, rolloutId, plan.canaryPercent!)), known_tenants: ids.length };
  }

  const data = {
    action: plan.action,
    version: row.id,
    version_scope: scopeOf(row),
    version_tenant: row.tenantId,
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
      svc.audit.append({
        tenant,
        kind: "policy_change",
        subject: principal.subject,
        reason: `${what}: ${headline}`,
        policyVersion: row.id,
        data: { ...data, covers_tenant: rolloutCovers(coverage, tenant) || plan.unpin.includes(tenant) },
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
    await svc.audit.append({ tenant: principal.tenant, kind: "policy_change", subject: principal.subject, reason: `${what}: FAILED, nothing changed`, policyVersion: row.id, data: { ...data, outcome: "failed", error: (err as Error).message } }).catch(() => undefined);
    throw err;
  } finally {
    svc.policies.forgetTenantVersions();
  }
  const after = await q.activeVersionFor(prisma, principal.tenant);
  return { rollout: rolloutView(rollout), canary, headline, risk: diff.risk, previous_version: before?.id ?? null, active_version: after?.id ?? null };
}

// --- apply -----------------------------------------------------------------------------------

interface Chosen {
  row: VersionRow;
  reused: boolean;
  /** Why this version: one sentence for the answer. */
  why: string;
}

/**
 * The version an apply rolls out, in the scope the rollout needs (`owner`: the caller's tenant for
 * a pin of its own tenant, null = platform for anything reaching other tenants): the YAML sent
 * (stored, or the identical version of that scope reused), the version named, or else the newest
 * version of that scope, never another tenant's.
 */

async function versionToApply(prisma: PrismaClient, principal: Principal, req: ApplyRequest, owner: string | null): Promise<Chosen> {
  const scope = ownerLabel(owner);
  const raw = policyTextOf(req);
  if (raw !== undefined) {
    // The signature covers the bytes as sent; the version stores them without a leading BOM.
    const text = raw.startsWith(BOM) ? raw.slice(1) : raw;
    parseOrReject(text);
    const sig = checkSignature(raw, req.signature);
    const hash = sha256Hex(text);
    // Only a version of the same scope is reused: never another tenant's, and a tenant's pin never
    // touches (re-signs) a platform version.
    const existing = await q.findVersionByHash(prisma, hash, owner);
    if (existing && existing.yaml === text) {
      const better = sig.signature && (sig.verified ? !existing.verified || existing.signature !== sig.signature : !existing.signature);
      const row = better ? await q.setVersionSignature(prisma, existing.id, sig.signature!, sig.verified) : existing;
      return { row, reused: true, why: `the policy sent is identical to ${scope} version ${row.id}, which was reused` };
    }
    const row = await q.createVersion(prisma, { tenantId: owner, yaml: text, hash, signature: sig.signature, verified: sig.verified, author: principal.subject, message: req.message });
    return { row, reused: false, why: `the policy sent was stored as ${scope} version ${row.id}` };
  }
  if (req.version !== undefined) {
    const row = await usableVersion(prisma, principal, req.version);
    if (owner === null) requirePlatformScope(row, `strategy ${req.strategy}${req.strategy === "explicit" ? " naming other tenants" : ""}`);
    return { row: await ensureSigned(prisma, row, req.signature), reused: true, why: `version ${row.id} (${ownerLabel(row.tenantId)}) was named in the request` };
  }
  const row = await q.latestVersionOf(prisma, owner);
  if (!row) {
    throw notFound(
      owner === null
        ? "no platform policy version is stored yet: send the policy YAML in a `policy` field"
        : `tenant ${owner} has stored no policy version of its own: send the policy YAML in a \`policy\` field, or name a platform version with \`version\` (GET /api/v1/policy/versions lists them)`,
    );
  }
  const because =
    owner === null
      ? `strategy ${req.strategy}${req.strategy === "explicit" ? " naming other tenants" : ""} reaches other tenants, so only platform versions are rolled out`
      : `a pin of the caller's own tenant uses that tenant's own versions`;
  return { row: await ensureSigned(prisma, row, req.signature), reused: true, why: `no policy or version was named: the newest ${scope} version (${row.id}) was applied, because ${because}` };
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


export async function applyPolicy(svc: Services, principal: Principal, req: ApplyRequest) {
  const { prisma } = await svc.db();
  const tenants = [...new Set([...(req.tenants_csv ?? []), ...(req.tenants ?? [])])];
  if (req.strategy !== "explicit") assertMayReach(principal, `strategy ${req.strategy}`);
  else if (tenants.some((t) => t !== principal.tenant)) assertMayReach(principal, `pinning ${tenants.filter((t) => t !== principal.tenant).join(", ")}`);
  if (req.strategy === "explicit") {
    const missing = await q.missingTenants(prisma, tenants);
    if (missing.length) throw badRequest(`unknown tenant${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}; nothing was applied`, { unknown_tenants: missing });
  }
  // A rollout that reaches any tenant besides the caller's own is a platform rollout.
  const owner = req.strategy === "explicit" && tenants.every((t) => t === principal.tenant) ? principal.tenant : null;
  const { row, reused, why } = await versionToApply(prisma, principal, req, owner);
  const r = await rollOut(svc, prisma, principal, row, {
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
    why,
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

/**
 * The newest version the tenant ran before `current`, from the rollouts that covered it, among
 * those `accept` allows (by owner): a fleet rollback only returns to platform versions.
 */

async function previousVersionOf(prisma: PrismaClient, tenant: string, current: number | null, accept: (owner: string | null) => boolean): Promise<number | null> {
  const candidates = (await q.rolloutsCovering(prisma, tenant)).map((r) => r.versionId).filter((id) => id !== current);
  const owners = await q.versionOwners(prisma, candidates);
  return candidates.find((id) => owners.has(id) && accept(owners.get(id)!)) ?? null;
}

/**
 * Rolls back. A tenant other than the platform tenant rolls back only itself: a pin of its own
 * tenant to `version` (its own or a platform version) or, by default, to the version it ran before.
 * The platform tenant rolls the fleet back (`all`, and its own pin removed so it runs it too) to a
 * platform version. A pinned tenant without a version given drops its pin and returns to the
 * fleet's version (recorded as an explicit rollout of that version for the tenant, without a pin,
 * so later rollouts reach it again). Another tenant's version id is "not found".
 */

export async function rollbackPolicy(svc: Services, principal: Principal, req: RollbackRequest) {
  const { prisma } = await svc.db();
  const tenant = principal.tenant;
  const fleetWide = tenant === platformTenant();
  const pin = await q.pinOf(prisma, tenant);
  const current = await q.activeVersionFor(prisma, tenant);

  if (req.version === undefined && pin) {
    const fleet = await q.fleetVersionIdFor(prisma, tenant);
    if (fleet === null) throw conflict(`tenant ${tenant} is pinned to version ${pin.versionId} and no fleet-wide version exists to return to: roll back to a version id instead`);
    // Fleet rollouts only carry platform versions; a legacy row that is not one is not returned to.
    const fleetRow = await q.getVersion(prisma, fleet);
    if (!fleetRow || !usableBy(fleetRow, tenant)) throw conflict(`tenant ${tenant} is pinned to version ${pin.versionId} and the fleet runs no version it may use: roll back to a version id instead`);
    const row = await ensureSigned(prisma, fleetRow);
    const r = await rollOut(svc, prisma, principal, row, { action: "unpin", strategy: "explicit", tenants: [tenant], pin: false, unpin: [tenant], message: req.message, reused: true });
    return { action: "unpin" as const, version: row.id, previous_version: current?.id ?? null, rollout: r.rollout, unpinned: [tenant], headline: r.headline, active_version: r.active_version };
  }

  const accept = fleetWide ? (owner: string | null) => owner === null : (owner: string | null) => owner === null || owner === tenant;
  const target = req.version ?? (await previousVersionOf(prisma, tenant, current?.id ?? null, accept));
  if (target === null) throw conflict(`tenant ${tenant} has no previous ${fleetWide ? "platform " : ""}policy version to roll back to${current ? ` (it runs version ${current.id})` : ""}`);
  const found = await usableVersion(prisma, principal, target);
  if (fleetWide) requirePlatformScope(found, "a rollback by the platform tenant (strategy all)");
  const row = await ensureSigned(prisma, found);
  if (!fleetWide) {
    const r = await rollOut(svc, prisma, principal, row, { action: "rollback", strategy: "explicit", tenants: [tenant], pin: true, unpin: [], message: req.message, reused: true });
    return { action: "rollout" as const, version: row.id, previous_version: current?.id ?? null, rollout: r.rollout, unpinned: [], headline: r.headline, active_version: r.active_version };
  }
  const unpin = pin ? [tenant] : [];
  const r = await rollOut(svc, prisma, principal, row, { action: "rollback", strategy: "all", tenants: [], pin: false, unpin, message: req.message, reused: true });
  return { action: "rollout" as const, version: row.id, previous_version: current?.id ?? null, rollout: r.rollout, unpinned: unpin, headline: r.headline, active_version: r.active_version };
}

// --- versions --------------------------------------------------------------------------------

const MAX_TENANTS_LISTED = 100;

/**
 * History, newest first: each version with its rollouts, pins, the tenants on it now, and which one
 * the caller runs. A platform admin sees every version and every tenant's facts; anyone else sees
 * the versions its tenant may use (its own and the platform's) and, of each, only its own tenant's
 * facts (whether it runs or is pinned to it, the rollouts that covered it).
 */

export async function listPolicyVersions(svc: Services, principal: Principal, query: VersionsQuery) {
  const { prisma } = await svc.db();
  const everything = isPlatformAdmin(principal);
  const own = principal.tenant;
  const rows = await q.listVersionsWithRollouts(prisma, { limit: query.limit + 1, beforeId: query.cursor, visibleToTenant: everything ? undefined : own });
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const state = await q.rolloutState(prisma);
  const onVersion = new Map<number, string[]>();
  for (const t of everything ? await q.allTenantIds(prisma) : [own]) {
    const v = resolveVersionId(state, t);
    if (v === null) continue;
    const list = onVersion.get(v) ?? [];
    list.push(t);
    onVersion.set(v, list);
  }
  const active = resolveVersionId(state, own);
  const stable = state.recent.find((r) => r.strategy === "all")?.versionId ?? null;
  return {
    versions: page.map((v) => {
      const tenants = onVersion.get(v.id) ?? [];
      const rollouts = everything
        ? v.rollouts
        : v.rollouts
            .filter((r) => rolloutCovers({ ...r, versionId: v.id }, own))
            .map((r) => ({ ...r, tenants: r.tenants.filter((t) => t === own) }));
      return {
        ...versionView(v),
        active: v.id === active,
        stable: v.id === stable,
        tenants: tenants.slice(0, MAX_TENANTS_LISTED),
        tenant_count: tenants.length,
        pinned_tenants: v.pins.map((p) => p.tenantId).filter((t) => everything || t === own),
        rollouts: rollouts.map((r) => {
          const { version: _v, ...rest } = rolloutView({ ...r, versionId: v.id });
          return rest;
        }),
      };
    }),
    active_version: active,
    stable_version: stable,
    /** Whether every tenant's facts are shown (platform admins) or only the caller's tenant's. */
    view: everything ? ("platform" as const) : ("tenant" as const),
    next_cursor: more ? String(page[page.length - 1].id) : null,
  };
}
