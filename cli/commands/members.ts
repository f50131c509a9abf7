import { parseArgs } from "node:util";

export const MEMBERS_USAGE = `usage:
  canopy members list --tenant T [--json]                                   members (roles, groups, Slack id, login) and open invitations
  canopy members set --tenant T --user U --roles a,b [--groups g,h] [--slack-user-id U0..]
                                                                             set a member's roles, approver groups and Slack link (creates the member)
  canopy members remove --tenant T --user U                                 remove a member (never the tenant's last admin)
  canopy members invite --tenant T --email E --roles a,b [--groups g,h] [--user U]
                                                                             add a member by email and print the one-time link to set a password
`;

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter(Boolean));

/** `canopy members …`: the operator's side of the Access page, on the server's Postgres, audited as cli:<os user>. */
export async function membersCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tenant: { type: "string" },
        user: { type: "string" },
        email: { type: "string" },
        roles: { type: "string" },
        groups: { type: "string" },
        "slack-user-id": { type: "string" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`canopy members: ${(e as Error).message}\n${MEMBERS_USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [sub, ...extra] = positionals;
  const needs: Record<string, (keyof typeof v)[]> = { list: ["tenant"], set: ["tenant", "user", "roles"], remove: ["tenant", "user"], invite: ["tenant", "email", "roles"] };
  if (!sub || !(sub in needs) || extra.length || needs[sub].some((k) => v[k] === undefined)) {
    process.stderr.write(MEMBERS_USAGE);
    return 2;
  }
  const { env } = await import("@/lib/env");
  if (!env().DATABASE_URL) {
    process.stderr.write(`canopy members ${sub}: the embedded database (no DATABASE_URL) belongs to the server that uses it; use the API (/api/admin/rbac/${v.tenant}/users) or set DATABASE_URL to the server's Postgres\n`);
    return 2;
  }
  const { isAppError } = await import("@/lib/errors");
  const { createServices } = await import("@/lib/server/services");
  const { tenantExists } = await import("@/lib/db/tenants");
  const { userInfo } = await import("node:os");
  const svc = createServices(env());
  // The operator acts as an admin of the tenant it names.
  const operator = { kind: "token" as const, tenant: v.tenant!, subject: `cli:${userInfo().username}`, roles: ["admin"] };
  try {
    if (!(await tenantExists((await svc.db()).prisma, v.tenant!))) {
      process.stderr.write(`canopy members ${sub}: tenant ${v.tenant} does not exist\n`);
      return 1;
    }
    const schemas = await import("@/lib/access/schemas");
    const members = await import("@/lib/access/members");
    if (sub === "list") {
      const page = await members.listMembers(svc, operator, v.tenant!, 1000);
      if (v.json) {
        process.stdout.write(`${JSON.stringify(page)}\n`);
        return 0;
      }
      for (const m of page.members) {
        process.stdout.write(`${m.user}  [${m.roles.join(",")}]  groups: ${m.groups.join(",") || "-"}  slack: ${m.slack_user_id ?? "-"}  login: ${m.login}\n`);
      }
      for (const i of page.invitations) process.stdout.write(`invited ${i.email} (${i.user}) by ${i.created_by}, expires ${i.expires_at}\n`);
      if (page.members.length === 0) process.stdout.write(`no members in tenant ${v.tenant}\n`);
      return 0;
    }
    if (sub === "set") {
      const body = schemas.memberPutBodySchema.parse({
        roles: list(v.roles),
        ...(v.groups !== undefined ? { groups: list(v.groups) } : {}),
        ...(v["slack-user-id"] !== undefined ? { slack_user_id: v["slack-user-id"] || null } : {}),
      });
      const m = await members.putMember(svc, operator, v.tenant!, v.user!, body);
      process.stdout.write(`${m.user} in ${m.tenant}: roles ${m.roles.join(",") || "-"}, groups ${m.groups.join(",") || "-"}, slack ${m.slack_user_id ?? "-"}\n`);
      return 0;
    }
    if (sub === "remove") {
      await members.removeMember(svc, operator, v.tenant!, v.user!);
      process.stdout.write(`removed ${v.user} from ${v.tenant}\n`);
      return 0;
    }
    const { inviteMember } = await import("@/lib/access/invitations");
    const body = schemas.inviteBodySchema.parse({ email: v.email, roles: list(v.roles), ...(v.groups !== undefined ? { groups: list(v.groups) } : {}), ...(v.user ? { user: v.user } : {}) });
    const r = await inviteMember(svc, operator, v.tenant!, body);
    process.stdout.write(r.invitation ? `${r.message}\n${r.invitation.link}\n` : `${r.message}\n`);
    return 0;
  } catch (e) {
    if (isAppError(e) && e.status < 500) {
      process.stderr.write(`canopy members ${sub}: ${e.message}\n`);
      return 1;
    }
    if ((e as { name?: string }).name === "ZodError") {
      const issues = (e as { issues: { path: PropertyKey[]; message: string }[] }).issues;
      process.stderr.write(`canopy members ${sub}: ${issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ")}\n`);
      return 2;
    }
    throw e;
  } finally {
    await svc.close();
  }
}
