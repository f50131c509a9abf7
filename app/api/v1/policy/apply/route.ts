import { withAuth } from "@/lib/server";
import { applyPolicy } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 001: `-F strategy=all|canary_percent|explicit [-F canary_percent=10] [-F tenants_csv=a,b] [-F policy=@p.yaml -F signature=…]`. */
export const POST = withAuth("policy.apply", async ({ body, principal, services }) => applyPolicy(services, principal, await body()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
