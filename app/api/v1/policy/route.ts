import { withAuth } from "@/lib/auth";
import { describeActivePolicy } from "@/lib/policies";

export const dynamic = "force-dynamic";

export const GET = withAuth(async ({ principal }) => describeActivePolicy(principal.tenant), { permission: "policies.read" });
