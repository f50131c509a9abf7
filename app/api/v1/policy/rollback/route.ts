import { withAuth } from "@/lib/server";
import { rollbackPolicy } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** `{}` → the version the caller's tenant ran before (or drop its pin); `{"version": 3}` → version 3 for all. */
export const POST = withAuth("policy.rollback", async ({ body, principal, services }) => rollbackPolicy(services, principal, await body()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
