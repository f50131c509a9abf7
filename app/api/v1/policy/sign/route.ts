import { withAuth } from "@/lib/server";
import { signWithServerKey } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Sign policy bytes with the server-held key (policies.sign only; audited on behalf of the caller). */
export const POST = withAuth("policy.sign", async ({ body, principal, services }) => {
  const input = await body();
  return signWithServerKey(services, principal, input.policy, input.message);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
