import { withAuth } from "@/lib/server";
import { listCheckpoints } from "@/lib/audit/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The tenant's signed checkpoints (ascending seq, `after` + `limit`) and the key that signs them. */
export const GET = withAuth("audit.checkpoints", async ({ query, principal, services }) => listCheckpoints(services.audit, principal, query()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
