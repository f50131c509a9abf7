/**
 * Break-glass for the ops tools: a tenant admin (for its tenant) or a platform admin (for any
 * tenant) activates an emergency grant for a bounded time (at most OPS_EMERGENCY_MAX_MINUTES)
 * with a reason. While it is live — judged by the injected clock, so it ends by itself — the
 * tenant's callers hold the emergency role for ops policies (`EmergencyGrants`), every ops
 * decision records the grant, and the console shows a banner. Activation and early end are
 * audited before they take effect.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AuditInput } from "@/lib/audit/schemas";
import type { PrismaClient } from "@/lib/db";
import { endEmergencyRow, insertEmergencyRow, liveEmergencyRow, type OpsEmergencyRow, recentEmergencyRows } from "@/lib/db/ops-emergency";
import { conflict, forbidden, notFound } from "@/lib/errors";
import { type ActivateEmergencySchema, type EmergencyView, type EndEmergencySchema } from "./emergency-schemas";
import type { EmergencyGrant, EmergencyGrants } from "./policy";

export { ActivateEmergencySchema, EmergencyStatusSchema, EmergencyViewSchema, EndEmergencySchema, type EmergencyView } from "./emergency-schemas";

export interface EmergencyStore {
  live(tenant: string, now: Date): Promise<OpsEmergencyRow | null>;
  insert(row: Omit<OpsEmergencyRow, "endedAt" | "endedBy">): Promise<OpsEmergencyRow | null>;
  end(tenant: string, now: Date, by: string): Promise<OpsEmergencyRow | null>;
  recent(tenant: string, limit: number): Promise<OpsEmergencyRow[]>;
}

export function prismaEmergencyStore(prisma: () => Promise<PrismaClient>): EmergencyStore {
  return {
    live: async (t, now) => liveEmergencyRow(await prisma(), t, now),
    insert: async (row) => insertEmergencyRow(await prisma(), row),
    end: async (t, now, by) => endEmergencyRow(await prisma(), t, now, by),
    recent: async (t, limit) => recentEmergencyRows(await prisma(), t, limit),
  };
}

function view(r: OpsEmergencyRow): EmergencyView {
  return {
    id: r.id,
    tenant: r.tenantId,
    scope: r.scope === "platform" ? "platform" : "tenant",
    reason: r.reason,
    activated_by: r.activatedBy,
    activated_at: r.activatedAt.toISOString(),
    expires_at: r.expiresAt.toISOString(),
    ended_at: r.endedAt?.toISOString() ?? null,
    ended_by: r.endedBy,
  };
}

export interface EmergencyDeps {
  store: EmergencyStore;
  clock: () => Date;
  maxMinutes: number;
  /** The role granted while live (OPS_EMERGENCY_ROLE). */
  role: string;
  platformTenant: string;
  audit(input: AuditInput): Promise<unknown>;
}

export interface EmergencyActor {
  tenant: string;
  subject: string;
}

export function createEmergency(deps: EmergencyDeps) {
  /** Which tenant an admin acts on: its own, or any when it is a platform admin. */
  function tenantFor(actor: EmergencyActor, requested: string | undefined): { tenant: string; scope: "tenant" | "platform" } {
    const tenant = requested ?? actor.tenant;
    if (tenant === actor.tenant) return { tenant, scope: actor.tenant === deps.platformTenant ? "platform" : "tenant" };
    if (actor.tenant !== deps.platformTenant) throw forbidden(`only a platform admin (tenant ${deps.platformTenant}) may activate break-glass for another tenant`);
    return { tenant, scope: "platform" };
  }

  const grants: EmergencyGrants = {
    async active(caller, now): Promise<EmergencyGrant | null> {
      const r = await deps.store.live(caller.tenant, now);
      return r ? { id: r.id, reason: r.reason, activated_by: r.activatedBy, expires_at: r.expiresAt.toISOString(), scope: r.scope === "platform" ? "platform" : "tenant" } : null;
    },
  };

  return {
    grants,
    async status(tenant: string) {
      const now = deps.clock();
      const [live, recent] = await Promise.all([deps.store.live(tenant, now), deps.store.recent(tenant, 10)]);
      return { active: live ? view(live) : null, max_minutes: deps.maxMinutes, role: deps.role, recent: recent.map(view) };
    },
    async activate(actor: EmergencyActor, input: z.infer<typeof ActivateEmergencySchema>) {
      if (input.minutes > deps.maxMinutes) throw new z.ZodError([{ code: "too_big", maximum: deps.maxMinutes, origin: "number", inclusive: true, path: ["minutes"], message: `minutes is at most ${deps.maxMinutes} (OPS_EMERGENCY_MAX_MINUTES)`, input: input.minutes }]);
      const { tenant, scope } = tenantFor(actor, input.tenant);
      const now = deps.clock();
      const live = await deps.store.live(tenant, now);
      if (live) throw conflict(`break-glass is already active in ${tenant} until ${live.expiresAt.toISOString()} (activated by ${live.activatedBy}); end it first`);
      const row = { id: `bg_${randomUUID()}`, tenantId: tenant, scope, reason: input.reason, activatedBy: actor.subject, activatedAt: now, expiresAt: new Date(now.getTime() + input.minutes * 60_000) };
      await deps.audit({
        tenant,
        kind: "admin_action",
        subject: actor.subject,
        reason: `BREAK-GLASS activated in ${tenant} for ${input.minutes} min by ${actor.subject}${scope === "platform" ? " (platform admin)" : ""}: ${input.reason}`,
        data: { action: "ops.emergency.activate", id: row.id, scope, minutes: input.minutes, expires_at: row.expiresAt.toISOString(), role: deps.role },
      });
      const stored = await deps.store.insert(row);
      if (!stored) throw conflict(`break-glass was activated in ${tenant} by someone else at the same moment`);
      return view(stored);
    },
    async end(actor: EmergencyActor, input: z.infer<typeof EndEmergencySchema>) {
      const { tenant } = tenantFor(actor, input.tenant);
      const now = deps.clock();
      const live = await deps.store.live(tenant, now);
      if (!live) throw notFound(`break-glass is not active in ${tenant}`);
      await deps.audit({ tenant, kind: "admin_action", subject: actor.subject, reason: `BREAK-GLASS ended early in ${tenant} by ${actor.subject}`, data: { action: "ops.emergency.end", id: live.id } });
      const ended = await deps.store.end(tenant, now, actor.subject);
      if (!ended) throw notFound(`break-glass is not active in ${tenant}`);
      return view(ended);
    },
  };
}

export type Emergency = ReturnType<typeof createEmergency>;
