import { withAuth } from "@/lib/server";
import { simulateBatch } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("policy.simulateBatch", async ({ body, principal, services }) => simulateBatch(services, principal, await body(), new Date()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
