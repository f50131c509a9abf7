/**
 * The targets inventory as the admin API and the console use it (/api/ops/targets): list with
 * each target's last actions from the audit log, create, update, delete and "test connection",
 * every change audited before it is made (admin_action), tenant-scoped by the caller. Credentials
 * are secret names; no route ever returns a secret's value.
 */
import { z } from "zod";
import type { AuditInput } from "@/lib/audit/schemas";
import type { Db } from "@/lib/db";
import { lastOpsActionRows } from "@/lib/db/ops-actions";
import { TargetId } from "./catalog/params";
import type { Ops } from "./service";
import { TargetInputSchema } from "./targets";
import { BACKENDS, TARGET_ROLES } from "./types";

export interface OpsAdminDeps {
  ops: Ops;
  db(): Promise<Db>;
  audit(input: AuditInput): Promise<unknown>;
}

export interface OpsAdminCaller {
  tenant: string;
  subject: string;
}

/** How many of each target's newest ops records the list carries. */
export const LAST_ACTIONS_PER_TARGET = 5;

export const TargetListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1, { error: "limit is at least 1" }).max(200, { error: "limit is at most 200" }).default(100),
  after: TargetId.optional(),
});

export const TargetIdParamSchema = z.strictObject({ id: TargetId });

/** PUT body: the whole target; `if_updated_at` refuses the write when someone changed it since it was read. */
export const TargetUpdateSchema = z.object({ if_updated_at: z.iso.datetime({ offset: true, error: "if_updated_at must be the target's updated_at as read" }).optional() }).loose();

export const OpsActionSchema = z.object({
  seq: z.number(),
  ts: z.string(),
  kind: z.string(),
  tool: z.string(),
  subject: z.string().nullable(),
  decision: z.string().nullable(),
  rule: z.string().nullable(),
  outcome: z.string().nullable(),
  exit_code: z.number().nullable(),
  duration_ms: z.number().nullable(),
});

export const TargetViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  backend: z.enum(BACKENDS),
  address: z.string().nullable(),
  port: z.number().nullable(),
  role: z.enum(TARGET_ROLES),
  tags: z.array(z.string()),
  maintenance_windows: z.array(z.object({ days: z.array(z.number()), start: z.string(), end: z.string(), timezone: z.string() })),
  maintenance_window_now: z.enum(["inside", "outside", "none"]),
  credential_ref: z.string().nullable().describe("The name of the secret holding the credential; never its value"),
  options: z.record(z.string(), z.unknown()),
  created_by: z.string().nullable(),
  updated_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const TargetListItemSchema = z.union([
  TargetViewSchema.extend({ last_actions: z.array(OpsActionSchema) }),
  z.object({ id: z.string(), name: z.string(), backend: z.string(), role: z.string(), misconfigured: z.string(), last_actions: z.array(OpsActionSchema) }),
]);
export const TargetListSchema = z.object({ targets: z.array(TargetListItemSchema), next_after: z.string().nullable() });
export const ConnectivitySchema = z.object({ ok: z.boolean(), backend: z.enum(BACKENDS), target: z.string(), latency_ms: z.number(), details: z.record(z.string(), z.unknown()), error: z.string().optional() });

export type TargetListItem = z.infer<typeof TargetListItemSchema>;
export type OpsAction = z.infer<typeof OpsActionSchema>;
export type TargetView = z.infer<typeof TargetViewSchema>;
export type Connectivity = z.infer<typeof ConnectivitySchema>;

export async function listTargets(deps: OpsAdminDeps, caller: OpsAdminCaller, query: z.infer<typeof TargetListQuerySchema>) {
  const page = await deps.ops.targets.list(caller.tenant, query);
  const rows = await lastOpsActionRows(await deps.db(), caller.tenant, page.targets.map((t) => t.id), LAST_ACTIONS_PER_TARGET);
  const byTarget = new Map<string, OpsAction[]>();
  for (const { target_id, ...a } of rows) byTarget.set(target_id, [...(byTarget.get(target_id) ?? []), a]);
  return { targets: page.targets.map((t) => ({ ...t, last_actions: byTarget.get(t.id) ?? [] })), next_after: page.next_after };
}

export async function getTarget(deps: OpsAdminDeps, caller: OpsAdminCaller, id: string) {
  return deps.ops.targets.get(caller.tenant, id);
}

/** Audits the change first (no unaudited change), then makes it; a failure after the record is recorded too (best effort). */
async function audited<T>(deps: OpsAdminDeps, caller: OpsAdminCaller, what: string, data: Record<string, unknown>, change: () => Promise<T>): Promise<T> {
  await deps.audit({ tenant: caller.tenant, kind: "admin_action", subject: caller.subject, reason: what, data });
  try {
    return await change();
  } catch (err) {
    await deps.audit({ tenant: caller.tenant, kind: "admin_action", subject: caller.subject, reason: `${what}: FAILED, nothing changed`, data: { ...data, outcome: "failed", error: (err as Error).message } }).catch(() => undefined);
    throw err;
  }
}

export async function createTarget(deps: OpsAdminDeps, caller: OpsAdminCaller, input: z.infer<typeof TargetInputSchema>) {
  return audited(deps, caller, `ops target ${input.id} created (${input.backend}, ${input.role})`, { action: "ops.target.create", target: input }, () => deps.ops.targets.create(caller.tenant, input, caller.subject));
}

export async function updateTarget(deps: OpsAdminDeps, caller: OpsAdminCaller, id: string, body: z.infer<typeof TargetUpdateSchema>) {
  const { if_updated_at, ...rest } = body;
  const input = TargetInputSchema.parse({ id, ...rest });
  return audited(deps, caller, `ops target ${id} updated (${input.backend}, ${input.role})`, { action: "ops.target.update", target: input }, () =>
    deps.ops.targets.update(caller.tenant, id, input, caller.subject, if_updated_at ? new Date(if_updated_at) : undefined),
  );
}

export async function deleteTarget(deps: OpsAdminDeps, caller: OpsAdminCaller, id: string) {
  await deps.ops.targets.get(caller.tenant, id);
  return audited(deps, caller, `ops target ${id} deleted`, { action: "ops.target.delete", target_id: id }, () => deps.ops.targets.remove(caller.tenant, id, caller.subject));
}

/** "Test connection": connects and reports what answered; changes nothing on the target. Recorded. */
export async function testTarget(deps: OpsAdminDeps, caller: OpsAdminCaller, id: string, signal?: AbortSignal) {
  const r = await deps.ops.targets.test(caller.tenant, id, { signal });
  await deps.audit({ tenant: caller.tenant, kind: "admin_action", subject: caller.subject, reason: `ops target ${id} connection test: ${r.ok ? "ok" : "failed"}`, data: { action: "ops.target.test", target_id: id, ok: r.ok, latency_ms: r.latency_ms, error: r.error ?? null } });
  return r;
}
