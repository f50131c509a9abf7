import { withAuth } from "@/lib/auth";
import { migratePolicyText, readPolicyText } from "@/lib/policies";

export const dynamic = "force-dynamic";

export const POST = withAuth(async ({ req }) => migratePolicyText(await readPolicyText(req)), { permission: "policies.read" });
