import { withAuth } from "@/lib/server";
import { diffPolicy } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 000 §6D (it compiles and replays a caller-supplied policy, so it needs policies.write): `curl -F proposed=@policy.yaml` (or JSON `{proposed}`, raw YAML, or `version`; `against` a stored version) → headline, risk, rule and decision changes. */
export const POST = withAuth("policy.diff", async ({ body, principal, services }) => diffPolicy(services, principal, await body()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
