import { revokeTokenFor } from "@/lib/access/api-tokens";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Revokes a token of the caller's tenant: refused (401) from its very next use, on every replica. */
export const DELETE = withAuth("tokens.revoke", async ({ params, principal, services }) => revokeTokenFor(services, principal, params.id));

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = methodsNotAllowed("DELETE");
