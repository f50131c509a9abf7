import { platformTenant } from "@/lib/env";
import { forbidden } from "@/lib/errors";
import type { Principal } from "./principal";

/**
 * A platform admin is an admin of the platform tenant (CANOPY_PLATFORM_TENANT, default the seeded
 * tenant): the only role that acts across tenants (creating tenants, changing global identity).
 */
export function isPlatformAdmin(principal: Principal): boolean {
  return principal.tenant === platformTenant() && principal.roles.includes("admin");
}

export function requirePlatformAdmin(principal: Principal, what: string): void {
  if (!isPlatformAdmin(principal)) {
    throw forbidden(`${what} needs a platform admin (role admin in tenant ${platformTenant()}); you act as ${principal.subject} in ${principal.tenant}`);
  }
}
