import { withAuth } from "@/lib/auth";
import { applyPolicy, applyRequestSchema, readFields } from "@/lib/policies";

export const dynamic = "force-dynamic";

/** Seed 001: `-F strategy=all|canary_percent|explicit [-F canary_percent=10] [-F tenants_csv=a,b] [-F policy=@p.yaml -F signature=…]`. */
export const POST = withAuth(
  async ({ req, principal }) => applyPolicy(principal, applyRequestSchema.parse(await readFields(req))),
  { permission: "policies.apply" },
);
