import { jsonBody, withAuth } from "@/lib/server";
import { signRequestSchema, signWithServerKey } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Sign policy bytes with the server-held key (policies.sign only; audited on behalf of the caller). */
export const POST = withAuth("policy.sign", async ({ req, principal, services }) => {
  const body = await jsonBody(req, signRequestSchema, "policy");
  return signWithServerKey(services, principal, body.policy, body.message);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
