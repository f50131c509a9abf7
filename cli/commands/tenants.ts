import { parseArgs } from "node:util";

export const TENANTS_USAGE = `usage:
  canopy tenants list [--json]                     every tenant, with its state
  canopy tenants create ID [--name NAME]           create a tenant (audited)
  canopy tenants suspend ID | resume ID            suspend (its tokens and sessions are refused) or resume; never deletes
`;

/** `canopy tenants …`: the operator acts as a platform admin on the server's Postgres, audited as cli:<os user>. */
export async function tenantsCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: "string" }, json: { type: "boolean", default: false } }, strict: true });
  } catch (e) {
    process.stderr.write(`canopy tenants: ${(e as Error).message}\n${TENANTS_USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [sub, id, ...extra] = positionals;
  if (!["list", "create", "suspend", "resume"].includes(sub ?? "") || extra.length || (sub === "list") !== (id === undefined)) {
    process.stderr.write(TENANTS_USAGE);
    return 2;
  }
  const { env, platformTenant } = await import("@/lib/env");
  if (!env().DATABASE_URL) {
    process.stderr.write(`canopy tenants ${sub}: the embedded database (no DATABASE_URL) belongs to the server that uses it; use the API (/api/admin/tenants) or set DATABASE_URL to the server's Postgres\n`);
    return 2;
  }
  const { isAppError } = await import("@/lib/errors");
  const { createServices } = await import("@/lib/server/services");
  const { userInfo } = await import("node:os");
  const svc = createServices(env());
  const operator = { kind: "token" as const, tenant: platformTenant(), subject: `cli:${userInfo().username}`, roles: ["admin"] };
  try {
    const tenants = await import("@/lib/access/tenants");
    const schemas = await import("@/lib/access/schemas");
    if (sub === "list") {
      const r = await tenants.listTenantsFor(svc, operator);
      if (v.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else for (const t of r.tenants) process.stdout.write(`${t.id}  ${t.name}  created ${t.created_at}  ${t.suspended_at ? `suspended ${t.suspended_at} by ${t.suspended_by}` : "active"}\n`);
      return 0;
    }
    if (sub === "create") {
      const t = await tenants.createTenant(svc, operator, schemas.createTenantBodySchema.parse({ id, ...(v.name ? { name: v.name } : {}) }));
      process.stdout.write(`created tenant ${t.id} (${t.name})\n`);
      return 0;
    }
    const t = await tenants.patchTenant(svc, operator, schemas.patchTenantBodySchema.parse({ id, suspended: sub === "suspend" }));
    process.stdout.write(`${t.id} is ${t.suspended_at ? "suspended" : "active"}\n`);
    return 0;
  } catch (e) {
    if (isAppError(e) && e.status < 500) {
      process.stderr.write(`canopy tenants ${sub}: ${e.message}\n`);
      return 1;
    }
    if ((e as { name?: string }).name === "ZodError") {
      process.stderr.write(`canopy tenants ${sub}: ${(e as { issues: { path: PropertyKey[]; message: string }[] }).issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ")}\n`);
      return 2;
    }
    throw e;
  } finally {
    await svc.close();
  }
}
