import { jsonBody, withAuth } from "@/lib/auth";
import { compiledDrafts, simulateBatch, simulateBatchRequestSchema } from "@/lib/policies";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth(
  async ({ req, principal }) => simulateBatch(principal, await jsonBody(req, simulateBatchRequestSchema, "policy"), new Date(), compiledDrafts()),
  { permission: "policies.simulate" },
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
