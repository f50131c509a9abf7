import { jsonBody, withAuth } from "@/lib/server";
import { deleteTestCase, testCaseBodySchema, testCaseIdSchema, updateTestCase } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const PUT = withAuth<{ id: string }>(
  async ({ req, params, principal, services }) => updateTestCase(services, principal, testCaseIdSchema.parse(params.id), await jsonBody(req, testCaseBodySchema)),
  { permission: "policies.write" },
);

export const DELETE = withAuth<{ id: string }>(async ({ params, principal, services }) => deleteTestCase(services, principal, testCaseIdSchema.parse(params.id)), { permission: "policies.write" });

export const { GET, HEAD, POST, PATCH, OPTIONS } = methodsNotAllowed("PUT", "DELETE");
