import { withAuth } from "@/lib/auth";
import { readPolicyText, validatePolicyText } from "@/lib/policies";

export const dynamic = "force-dynamic";

export const POST = withAuth(async ({ req }) => validatePolicyText(await readPolicyText(req)), { permission: "policies.read" });
