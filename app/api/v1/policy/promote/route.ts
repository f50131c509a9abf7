import { withAuth } from "@/lib/server";
import { promoteCanary } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Completes a canary: its version goes to every tenant (strategy all). */
export const POST = withAuth("policy.promote", async ({ body, principal, services }) => promoteCanary(services, principal, await body()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
