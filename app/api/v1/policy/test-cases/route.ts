import { jsonBody, withAuth } from "@/lib/server";
import { createTestCase, listTestCases, testCaseBodySchema, testCaseListQuerySchema } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The tenant's policy test cases (optionally `?scope=tenant|platform`). */
export const GET = withAuth(
  async ({ req, principal, services }) => listTestCases(services, principal, testCaseListQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams)).scope),
  { permission: "policies.read" },
);

export const POST = withAuth(async ({ req, principal, services }) => createTestCase(services, principal, await jsonBody(req, testCaseBodySchema)), { permission: "policies.write" });

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
