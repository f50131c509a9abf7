/**
 * The targets inventory as the admin API and the console use it (/api/ops/targets): list with
 * each target's last actions from the audit log, create, update, delete and "test connection",
 * every change audited before it is made (admin_action), tenant-scoped by the caller. Credentials
 * are secret names; no route ever returns a secret's value.
 */
import type { z } from "zod";
import type { AuditInput } from "@/lib/audit/schemas";
import type { Db } from "@/lib/db";
import { lastOpsActionRows } from "@/lib/db/ops-actions";
import type { OpsAction, TargetListQuerySchema } from "./admin-schemas";
import type { Ops } from "./service";
import { TargetInputSchema, type TargetUpdateBodySchema } from "./targets";

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

export async function updateTarget(deps: OpsAdminDeps, caller: OpsAdminCaller, id: string, body: z.infer<typeof TargetUpdateBodySchema>) {
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
