import { jsonBody, withAuth } from "@/lib/auth";
import { deleteTestCase, testCaseBodySchema, testCaseIdSchema, updateTestCase } from "@/lib/policies";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const PUT = withAuth<{ id: string }>(
  async ({ req, params, principal }) => updateTestCase(principal, testCaseIdSchema.parse(params.id), await jsonBody(req, testCaseBodySchema)),
  { permission: "policies.write" },
);

export const DELETE = withAuth<{ id: string }>(async ({ params, principal }) => deleteTestCase(principal, testCaseIdSchema.parse(params.id)), { permission: "policies.write" });

export const { GET, POST, PATCH, OPTIONS } = methodsNotAllowed("PUT", "DELETE");
