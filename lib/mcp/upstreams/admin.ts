import { type AddressPolicy, assertPublicUpstream, type Resolver } from "./network-guard";
import { type AuditInput, auditUnavailable } from "@/lib/audit";
import { type Principal, requireTenant } from "@/lib/auth";
import type { Db } from "@/lib/db";
import { deleteUpstreamRow, getUpstreamRow, isUniqueViolation, listUpstreamRowsVisibleTo, putUpstreamRow, type UpstreamRow } from "@/lib/db/upstreams";
import { conflict, notFound } from "@/lib/errors";
import { parseUpstreamPut, type UpstreamView } from "./admin-schemas";
import type { ServerConfig } from "./config";
import { rowToServer, serverToWrite } from "./db-config";
import type { RegistryStatus, UpstreamRegistry } from "./registry";

/**
 * The admin API of upstreams: list what a tenant can use (upstreams.yaml and the database, with
 * live status), and create, replace or delete the tenant's own HTTP upstreams. Every change is
 * audited first: when the audit log is down, nothing changes (503).
 */

export interface UpstreamAdminDeps {
  db: () => Promise<Db>;
  registry: () => UpstreamRegistry;
  audit: (input: AuditInput) => Promise<unknown>;
  /** The address rule URLs are checked against when saved (the gateway's environment: upstreamNetwork). */
  network: () => { policy: AddressPolicy; resolve?: Resolver };
}

function statusView(s: RegistryStatus | undefined): UpstreamView["status"] {
  if (!s) return null;
  return { state: s.state, restarts: s.restarts, consecutive_failures: s.consecutiveFailures, last_error: s.lastError, retry_at: s.retryAt };
}

function configView(server: ServerConfig) {
  return {
    transport: server.transport,
    enabled: server.enabled,
    ...(server.transport === "http" ? { url: server.url, headers: server.headers } : {}),
    tools: server.tools,
    ...(server.facts ? { facts: server.facts } : {}),
    ...(server.timeout_ms !== undefined ? { timeout_ms: server.timeout_ms } : {}),
  };
}

function fileView(server: ServerConfig, status: RegistryStatus | undefined): UpstreamView {
  return { name: server.name, source: "file", tenant: null, editable: false, ...configView(server), status: statusView(status), problem: null };
}

function rowView(row: UpstreamRow, viewer: string, registry: UpstreamRegistry, status: RegistryStatus | undefined): UpstreamView {
  const parsed = rowToServer(row);
  const stored = registry.dbState().problems.find((p) => p.tenant === row.tenantId && p.name === row.name)?.message;
  const claim = registry.fileClaim(row.name);
  const problem = !row.enabled ? null : parsed.ok ? (stored ?? (claim ? `the name ${row.name} is taken by ${claim} in upstreams.yaml` : null)) : parsed.problem;
  const config = parsed.ok
    ? configView(parsed.server)
    : {
        transport: row.transport === "stdio" ? ("stdio" as const) : ("http" as const),
        enabled: row.enabled,
        ...(row.url ? { url: row.url } : {}),
        tools: {},
      };
  return {
    name: row.name,
    source: "db",
    tenant: row.tenantId,
    editable: row.tenantId === viewer,
    ...config,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    status: row.enabled ? statusView(status) : null,
    problem,
  };
}

const findStatus = (all: RegistryStatus[], source: "file" | "db", tenant: string | null, name: string) =>
  all.find((s) => s.source === source && s.tenant === tenant && s.name === name);

/** Upstreams the caller's tenant can use: the file's and the database's, with live status. */
export async function listUpstreams(principal: Principal, query: { tenant?: string } = {}, deps: UpstreamAdminDeps) {
  requireTenant(principal, query.tenant);
  const tenant = principal.tenant;
  const registry = deps.registry();
  await registry.refresh();
  const { prisma } = await deps.db();
  const rows = await listUpstreamRowsVisibleTo(prisma, tenant);
  const statuses = registry.status({ tenant });
  const file = registry.config.servers
    .filter((s) => !s.tenants || s.tenants.includes(tenant))
    .map((s) => fileView(s, findStatus(statuses, "file", null, s.name)));
  const db = rows
    .filter((r) => {
      if (r.tenantId !== null) return true;
      const parsed = rowToServer(r);
      return !parsed.ok || !parsed.server.tenants || parsed.server.tenants.includes(tenant);
    })
    .map((r) => rowView(r, tenant, registry, findStatus(statuses, "db", r.tenantId, r.name)));
  const state = registry.dbState();
  return { upstreams: [...file, ...db], database: { loaded_at: state.loadedAt, error: state.error } };
}

/** Refuses names the caller cannot manage: the file's (read-only) and operator-stored ones. */
function refuseForeign(registry: UpstreamRegistry, rows: UpstreamRow[], name: string) {
  if (registry.config.servers.some((s) => s.name === name)) {
    throw conflict(`upstream ${name} is defined in upstreams.yaml and is read-only here: change it in the file (operators), or choose another name`, { source: "file" });
  }
  const claim = registry.fileClaim(name);
  if (claim) throw conflict(`the name ${name} is taken by ${claim} in upstreams.yaml: choose another name`, { source: "file" });
  if (rows.some((r) => r.tenantId === null && r.name === name)) {
    throw conflict(`upstream ${name} is stored for every tenant by the operator and cannot be changed through the tenant API`, { source: "db", tenant: null });
  }
}

async function auditOrRefuse(deps: UpstreamAdminDeps, input: AuditInput, name: string) {
  try {
    await deps.audit(input);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw auditUnavailable(`the audit log is unavailable, so upstream ${name} was not changed: ${why}`, err);
  }
}

/** Creates or replaces the caller's tenant's HTTP upstream `name`. Audited before it is stored. */
export async function putUpstream(principal: Principal, name: string, body: unknown, query: { tenant?: string } = {}, deps: UpstreamAdminDeps) {
  requireTenant(principal, query.tenant);
  const tenant = principal.tenant;
  const registry = deps.registry();
  const { prisma } = await deps.db();
  // A name the caller cannot manage is refused whatever the body says (409, not a list of field errors).
  refuseForeign(registry, await listUpstreamRowsVisibleTo(prisma, tenant), name);
  const server = parseUpstreamPut(name, body);
  // Checked again on every connection (DNS may answer differently later): see network-guard.ts.
  const network = deps.network();
  await assertPublicUpstream(server.url, network.policy, network.resolve);

  const before = await getUpstreamRow(prisma, tenant, name);
  const beforeParsed = before ? rowToServer(before) : null;
  const after = configView(server);
  const what = `upstream ${name} ${before ? "replaced" : "created"} (http ${server.url}${server.enabled ? "" : ", disabled"})`;
  const data = { action: "upstream.put", upstream: name, before: beforeParsed?.ok ? configView(beforeParsed.server) : null, after };
  await auditOrRefuse(deps, { tenant, kind: "admin_action", subject: principal.subject, reason: what, data }, name);

  let result;
  try {
    result = await putUpstreamRow(prisma, serverToWrite(tenant, server));
  } catch (err) {
    // Audited as made: record that it was not (best effort) before failing.
    await deps.audit({ tenant, kind: "admin_action", subject: principal.subject, reason: `${what}: FAILED, nothing changed`, data: { ...data, outcome: "failed", error: (err as Error).message } }).catch(() => undefined);
    if (isUniqueViolation(err)) throw conflict(`upstream ${name} was created concurrently by another request: retry`);
    throw err;
  }
  await registry.refresh();
  const status = findStatus(registry.status({ tenant }), "db", tenant, name);
  return { created: result.created, upstream: rowView(result.row, tenant, registry, status) };
}

/** Deletes the caller's tenant's upstream `name`; its connection is closed. Audited before. */
export async function deleteUpstream(principal: Principal, name: string, query: { tenant?: string } = {}, deps: UpstreamAdminDeps) {
  requireTenant(principal, query.tenant);
  const tenant = principal.tenant;
  const registry = deps.registry();
  const { prisma } = await deps.db();
  const rows = await listUpstreamRowsVisibleTo(prisma, tenant);
  const own = rows.find((r) => r.tenantId === tenant && r.name === name);
  if (!own) {
    refuseForeign(registry, rows, name);
    throw notFound(`tenant ${tenant} has no upstream ${name} in the database; GET /api/admin/upstreams lists them`);
  }
  const parsed = rowToServer(own);
  const what = `upstream ${name} deleted${own.url ? ` (http ${own.url})` : ""}`;
  const data = { action: "upstream.delete", upstream: name, before: parsed.ok ? configView(parsed.server) : null };
  await auditOrRefuse(deps, { tenant, kind: "admin_action", subject: principal.subject, reason: what, data }, name);

  let deleted;
  try {
    deleted = await deleteUpstreamRow(prisma, tenant, name);
  } catch (err) {
    await deps.audit({ tenant, kind: "admin_action", subject: principal.subject, reason: `${what}: FAILED, nothing changed`, data: { ...data, outcome: "failed", error: (err as Error).message } }).catch(() => undefined);
    throw err;
  }
  if (!deleted) throw notFound(`upstream ${name} of tenant ${tenant} was deleted concurrently by another request`);
  await registry.refresh();
  return { deleted: name, tenant };
}
