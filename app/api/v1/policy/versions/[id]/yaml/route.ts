import { withAuth } from "@/lib/server";
import { readVersionYaml } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** A stored version's YAML, byte for byte as signed (the caller's tenant's own or a platform version). */
export const GET = withAuth("policy.versionYaml", async ({ params, principal, services }) => readVersionYaml(services, principal, params.id));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
