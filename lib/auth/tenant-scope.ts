import { forbidden } from "@/lib/errors";
import type { Principal } from "./principal";

/** Fails with 403 unless the principal acts in `tenant` (a token for A never acts on B). */
export function requireTenant(principal: Principal, tenant: string | undefined | null) {
  if (tenant && tenant !== principal.tenant) {
    throw forbidden(`this credential acts for tenant ${principal.tenant}, not ${tenant}`);
  }
}
