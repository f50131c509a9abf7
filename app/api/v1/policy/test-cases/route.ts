import { withAuth } from "@/lib/server";
import { createTestCase, listTestCases } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The tenant's policy test cases (optionally `?scope=tenant|platform`). */
export const GET = withAuth("policy.testCases.list", async ({ query, principal, services }) => listTestCases(services, principal, query().scope));

export const POST = withAuth("policy.testCases.create", async ({ body, principal, services }) => createTestCase(services, principal, await body()));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
