import { withAuth } from "@/lib/server";
import { migratePolicyText, readPolicyText } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("policy.migrate", async ({ req }) => migratePolicyText(await readPolicyText(req)));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
