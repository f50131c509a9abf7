import { jsonBody, withAuth } from "@/lib/auth";
import { simulateCall, simulateRequestSchema } from "@/lib/policies";

export const dynamic = "force-dynamic";

export const POST = withAuth(
  async ({ req, principal }) => simulateCall(principal, await jsonBody(req, simulateRequestSchema), new Date()),
  { permission: "policies.simulate" },
);
