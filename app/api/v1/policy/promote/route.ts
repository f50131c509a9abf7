import { withAuth } from "@/lib/server";
import { promoteCanary, promoteRequestSchema, readFields } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Completes a canary: its version goes to every tenant (strategy all). */
export const POST = withAuth("policy.promote", async ({ req, principal, services }) => promoteCanary(services, principal, promoteRequestSchema.parse(await readFields(req))));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
