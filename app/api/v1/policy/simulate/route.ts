import { withAuth } from "@/lib/server";
import { simulateCall } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("policy.simulate", async ({ body, principal, services }) => simulateCall(services, principal, await body(), new Date()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
