import { withAuth } from "@/lib/server";
import { deleteTestCase, testCaseIdSchema, updateTestCase } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const PUT = withAuth("policy.testCases.update", async ({ body, params, principal, services }) => updateTestCase(services, principal, testCaseIdSchema.parse(params.id), await body()));

export const DELETE = withAuth("policy.testCases.delete", async ({ params, principal, services }) => deleteTestCase(services, principal, testCaseIdSchema.parse(params.id)));

export const { GET, HEAD, POST, PATCH, OPTIONS } = methodsNotAllowed("PUT", "DELETE");
