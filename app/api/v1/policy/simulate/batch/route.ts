import { jsonBody, withAuth } from "@/lib/server";
import { simulateBatch, simulateBatchRequestSchema } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("policy.simulateBatch", async ({ req, principal, services }) => simulateBatch(services, principal, await jsonBody(req, simulateBatchRequestSchema, "policy"), new Date()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
