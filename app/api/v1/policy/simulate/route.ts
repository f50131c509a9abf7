import { jsonBody, withAuth } from "@/lib/server";
import { simulateCall, simulateRequestSchema } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("policy.simulate", async ({ req, principal, services }) => simulateCall(services, principal, await jsonBody(req, simulateRequestSchema, "policy"), new Date()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
