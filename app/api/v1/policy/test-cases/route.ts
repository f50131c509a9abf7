import { jsonBody, withAuth } from "@/lib/server";
import { createTestCase, listTestCases, testCaseBodySchema, testCaseListQuerySchema } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The tenant's policy test cases (optionally `?scope=tenant|platform`). */
export const GET = withAuth("policy.testCases.list", async ({ req, principal, services }) => listTestCases(services, principal, testCaseListQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams)).scope));

export const POST = withAuth("policy.testCases.create", async ({ req, principal, services }) => createTestCase(services, principal, await jsonBody(req, testCaseBodySchema)));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
