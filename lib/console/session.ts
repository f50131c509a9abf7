import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { TENANT_COOKIE } from "@/lib/auth/authenticate";
import { permissionsOf, type Permission } from "@/lib/auth/rbac";
import { getUser, listMembershipsOfUser } from "@/lib/db/users";
import { services } from "@/lib/server";
import { safeNextPath } from "./next-path";

export interface ConsoleUser {
  id: string;
  name: string;
  email?: string | null;
  tenant: string | null;
  roles: string[];
  tenants: string[];
  permissions: Permission[];
}

/** The signed-in console user and their current tenant; redirects to /login when signed out. */
export async function requireConsoleUser(): Promise<ConsoleUser> {
  const svc = services();
  const session = await getServerSession(svc.authOptions);
  if (!session?.user?.id) {
    // proxy.ts tells which page was asked for, so signing in lands there.
    const asked = safeNextPath((await headers()).get("x-canopy-path"));
    redirect(asked === "/" ? "/login" : `/login?next=${encodeURIComponent(asked)}`);
  }
  const { prisma } = await svc.db();
  // The name is read here, not from the session token, so a change on the Account page shows at once.
  const [memberships, own] = await Promise.all([listMembershipsOfUser(prisma, session.user.id), getUser(prisma, session.user.id)]);
  const chosen = (await cookies()).get(TENANT_COOKIE)?.value;
  const current = memberships.find((m) => m.tenantId === chosen) ?? memberships[0];
  return {
    id: session.user.id,
    name: own?.name ?? session.user.name ?? session.user.id,
    email: session.user.email,
    tenant: current?.tenantId ?? null,
    roles: current?.roles ?? [],
    tenants: memberships.map((m) => m.tenantId),
    permissions: [...permissionsOf(current?.roles ?? [])],
  };
}
