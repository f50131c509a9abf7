import { jsonBody, withAuth } from "@/lib/server";
import { searchAudit, writeAgentNote } from "@/lib/audit/http";
import { auditSearchQuerySchema, auditWriteSchema } from "@/lib/audit/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Search the tenant's audit log: filters, newest first, keyset pagination (`cursor`, `limit`). */
export const GET = withAuth("audit.search", async ({ req, principal, services }) => searchAudit(services.audit, principal, auditSearchQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))));

/** Append an agent's note (AegisMCP `POST /audit`: action, tool?, ok?, note?). */
export const POST = withAuth("audit.note", async ({ req, principal, requestId, services }) => {
  const result = await writeAgentNote(services.audit, principal, await jsonBody(req, auditWriteSchema), requestId);
  return Response.json(result, { status: 201 });
});

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
