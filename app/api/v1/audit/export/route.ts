import { withAuth } from "@/lib/server";
import { exportAuditResponse } from "@/lib/audit/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Stream the tenant's chain (or a filtered part) as JSONL that verifies offline with the public key. */
export const GET = withAuth("audit.export", async ({ query, principal, services }) => exportAuditResponse(services.audit, principal, query()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
