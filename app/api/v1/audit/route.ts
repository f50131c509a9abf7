import { withAuth } from "@/lib/server";
import { searchAudit, writeAgentNote } from "@/lib/audit/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Search the tenant's audit log: filters, newest first, keyset pagination (`cursor`, `limit`). */
export const GET = withAuth("audit.search", async ({ query, principal, services }) => searchAudit(services.audit, principal, query()));

/** Append an agent's note (AegisMCP `POST /audit`: action, tool?, ok?, note?). */
export const POST = withAuth("audit.note", async ({ body, principal, requestId, services }) => {
  const result = await writeAgentNote(services.audit, principal, await body(), requestId);
  return Response.json(result, { status: 201 });
});

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
