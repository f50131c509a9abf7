import { withAuth } from "@/lib/server";
import { migratePolicyText } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("policy.migrate", async ({ body }) => migratePolicyText(await body()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
