import { forbidden } from "@/lib/errors";
import type { Principal } from "./principal";
import { can, type Permission } from "./rbac";

/** 403 unless the principal's roles grant the permission; one wording for the route wrapper and the data plane. */
export function requirePermission(principal: Pick<Principal, "roles" | "tenant">, permission: Permission): void {
  if (can(principal.roles, permission)) return;
  throw forbidden(`permission ${permission} is required; your roles in ${principal.tenant} are: ${principal.roles.join(", ") || "none"}`, {
    permission,
    roles: principal.roles,
  });
}
