import type { PrismaClient } from "@/lib/db";
import { activeVersionFor } from "@/lib/db/policy-versions";
import { notFound } from "@/lib/errors";
import { parsePolicy } from "@/lib/policy";

/** The tenant's active policy as people read it (seed 004's GET /policy): version, provenance, YAML. */
export async function describeActivePolicy(prisma: PrismaClient, tenant: string) {
  const v = await activeVersionFor(prisma, tenant);
  if (!v) throw notFound(`tenant ${tenant} has no active policy; every call is denied`);
  const parsed = parsePolicy(v.yaml);
  return {
    tenant,
    version: v.id,
    hash: v.hash,
    signed: Boolean(v.signature),
    verified: v.verified,
    author: v.author,
    message: v.message,
    created_at: v.createdAt.toISOString(),
    valid: parsed.ok,
    errors: parsed.errors,
    policy: parsed.ok ? parsed.policy : null,
    yaml: v.yaml,
  };
}
